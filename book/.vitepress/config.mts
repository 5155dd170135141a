// The book's site: VitePress with its default theme, built by
// scripts/build-book.sh (`make book`) into book/.vitepress/dist.
//
// Everything the build needs comes from book/node_modules (npm ci from the
// lockfile): no fonts, analytics or search service are fetched, at build
// time or when a reader opens a page.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitepress'
import { snippetGuard } from './snippet-guard.mjs'

// The book's directory; VitePress's `@` in `<<< @/../src/...` is this.
const srcDir = fileURLToPath(new URL('..', import.meta.url))

const favicon = 'data:image/svg+xml,' + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="7" fill="#3451b2"/>' +
  '<text x="16" y="23" font-family="sans-serif" font-size="20" font-weight="700" ' +
  'fill="#fff" text-anchor="middle">B</text></svg>')

// The chapters that have a page, in reading order. A chapter gets a line
// here when its page (book/NN-name.md) exists.
const chapters = [
  { text: '01 · Processes', link: '/01-process' },
  { text: '02 · A root filesystem', link: '/02-rootfs' },
  { text: '03 · Namespaces', link: '/03-namespaces' },
  { text: '04 · cgroups', link: '/04-cgroups' },
  { text: '05 · Security', link: '/05-security' },
  { text: '06 · The OCI runtime', link: '/06-runtime' },
  { text: '07 · Overlay filesystems', link: '/07-overlay' },
  { text: '08 · Images', link: '/08-images' },
]

// VitePress checks the links in pages, not those in the menus: check these.
for (const { link } of [{ link: '/introduction' }, ...chapters]) {
  if (!existsSync(`${srcDir}${link.slice(1)}.md`)) {
    throw new Error(`book: .vitepress/config.mts links to ${link}, but book${link}.md does not exist`)
  }
}

export default defineConfig({
  title: 'Berth',
  description: 'Build a container engine in C++20, from the kernel up',
  lang: 'en-US',
  // Pages are NN-name.html: they open from any static file server.
  cleanUrls: false,
  // book/README.md is for people who work on the book, not a page of it.
  srcExclude: ['README.md'],
  // A link to a page that does not exist fails the build (VitePress's
  // default, stated here so that nobody turns it off by accident).
  ignoreDeadLinks: false,
  lastUpdated: false,
  // The icon is inline: the site has no file for it, and loads nothing.
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: favicon }]],

  markdown: {
    // Code comes from src/ and chapters/ by region only; see snippet-guard.mjs.
    config: (md) => {
      md.use(snippetGuard, { srcDir })
    },
  },

  themeConfig: {
    nav: [
      { text: 'Introduction', link: '/introduction' },
      { text: 'Chapters', items: chapters },
    ],
    sidebar: [
      {
        text: 'Start here',
        items: [{ text: 'Introduction', link: '/introduction' }],
      },
      { text: 'Chapters', items: chapters },
    ],
    // Built into the site at build time; nothing is sent anywhere.
    search: { provider: 'local' },
    outline: { level: [2, 3] },
    docFooter: { prev: 'Previous', next: 'Next' },
    footer: {
      message: 'Every code block on these pages is included from the tested source.',
    },
  },
})
