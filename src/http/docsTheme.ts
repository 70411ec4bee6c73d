/**
 * How /docs looks: Tagbase's name in the top bar instead of the framework's logo, no "Explore"
 * box (it loads any URL into the page; /docs documents this server only), and a page title.
 */
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="150" height="36" viewBox="0 0 150 36">
<rect x="1" y="6" width="24" height="24" rx="5" fill="#2f6f4f"/>
<path d="M7 13h12M13 13v11" stroke="#fff" stroke-width="3" stroke-linecap="round"/>
<text x="32" y="26" font-family="system-ui, sans-serif" font-size="22" font-weight="600" fill="#fff">Tagbase</text>
</svg>`

const HIDE_EXPLORE = `.swagger-ui .topbar .download-url-wrapper { display: none }
.swagger-ui .topbar { background: #1f2d26 }`

export const DOCS_UI_THEME = {
  logo: { type: 'image/svg+xml', content: LOGO_SVG, href: '/docs', target: '_self' as const },
  theme: {
    title: 'Tagbase API reference',
    css: [{ filename: 'tagbase.css', content: HIDE_EXPLORE }],
  },
}
