import { describe, expect, it } from 'vitest'
import { isInternalAddress, maskUrlSecrets } from '../../src/domain/urls.js'

describe('internal addresses', () => {
  it('counts loopback, private, link-local, CGNAT, multicast and their IPv6 forms as internal', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.10',
      '0.0.0.0',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:169.254.169.254',
      '64:ff9b::10.0.0.1',
      'not-an-ip',
    ])
      expect(isInternalAddress(address), address).toBe(true)
  })

  it('lets public addresses through', () => {
    for (const address of [
      '8.8.8.8',
      '93.184.216.34',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
    ])
      expect(isInternalAddress(address), address).toBe(false)
  })
})

describe('masking URL secrets', () => {
  it('hides user info and query values, keeps the rest readable', () => {
    expect(maskUrlSecrets('https://user:pw@hooks.example.com/a/b?token=abc&sig=1#x')).toBe(
      'https://***:***@hooks.example.com/a/b?token=***&sig=***#x',
    )
    expect(maskUrlSecrets('https://hooks.example.com/in')).toBe('https://hooks.example.com/in')
    expect(maskUrlSecrets('not a url')).toBe('***')
  })
})
