// book.guard: the include guard (book/.vitepress/snippet-guard.mjs) on a small
// fixture tree, through VitePress's own markdown renderer, so the guard and
// VitePress's snippet rule are tested together. No site build: about a second.
//
//   node --test tests/book/guard.test.mjs
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const repo = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const bookDir = path.join(repo, 'book')
const { snippetGuard, BookIncludeError } =
  await import(pathToFileURL(path.join(bookDir, '.vitepress/snippet-guard.mjs')).href)
const { createMarkdownRenderer } = await import(
  pathToFileURL(path.join(bookDir, 'node_modules/vitepress/dist/node/index.js')).href)

// The fixture tree: ROOT/book (VitePress's @), ROOT/src, ROOT/chapters, ROOT/tests.
let root, srcDir, md
const write = (rel, text) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
  fs.writeFileSync(path.join(root, rel), text)
}

before(async () => {
  root = fs.mkdtempSync('/tmp/berth-book-')
  srcDir = path.join(root, 'book')
  write('src/demo/spawn.cpp', [
    '#include <unistd.h>',
    'int outside_the_region;',
    '// #region fork-exec',
    'pid_t pid = fork();',
    '// #endregion fork-exec',
    '// #region never-closed',
    'int x;',
    '',
  ].join('\n'))
  write('chapters/01-demo/main.cpp', '// #region main\nint main() { return 0; }\n// #endregion main\n')
  write('tests/secret.cpp', '// #region r\nint secret;\n// #endregion r\n')
  fs.mkdirSync(srcDir, { recursive: true })
  md = await createMarkdownRenderer(srcDir, {
    config: (m) => { m.use(snippetGuard, { srcDir }) },
  }, '/', { info() {}, warn() {}, error() {}, warnOnce() {}, clearScreen() {}, hasWarned: false, hasErrorLogged: () => false })
})

after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true })
})

// Renders a page whose file really exists (the guard reads it for line numbers).
function render(name, text) {
  const file = path.join(srcDir, name)
  fs.writeFileSync(file, text)
  return md.render(text, { path: file, relativePath: name, cleanUrls: false })
}

// What a reader sees: the HTML without tags (Shiki splits code into spans).
const text = (html) => html.replace(/<[^>]*>/g, '')
  .replace(/&#x3C;/gi, '<').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&')
const shows = (html, code) => assert.ok(text(html).includes(code), `page lacks ${code}:\n${text(html)}`)

function rejects(name, text, ...parts) {
  assert.throws(() => render(name, text), (err) => {
    assert.ok(err instanceof BookIncludeError, `not a BookIncludeError: ${err}`)
    for (const part of parts) {
      assert.ok(err.message.includes(part), `"${err.message}"\n  lacks "${part}"`)
    }
    return true
  })
}

test('a region is included, and only the region', () => {
  const html = render('ok.md', '# Ok\n\n<<< @/../src/demo/spawn.cpp#fork-exec\n')
  shows(html, 'pid_t pid = fork();')
  assert.ok(!text(html).includes('outside_the_region'))
  assert.ok(!text(html).includes('#region'))
})

test('a region from chapters/ is included', () => {
  shows(render('ch.md', '<<< @/../chapters/01-demo/main.cpp#main\n'), 'int main() { return 0; }')
})

test('a missing region fails, naming page, line, file and region', () => {
  rejects('renamed.md', '# T\n\ntext\n\n<<< @/../src/demo/spawn.cpp#fork-and-exec\n',
    'book include: book/renamed.md:5: <<< @/../src/demo/spawn.cpp#fork-and-exec: ' +
    'file src/demo/spawn.cpp has no region "fork-and-exec"')
})

test('the line counts front matter', () => {
  rejects('front.md', '---\ntitle: T\n---\n# T\n\n<<< @/../src/demo/spawn.cpp#nope\n',
    'book/front.md:6:')
})

test('a missing file fails', () => {
  rejects('nofile.md', '<<< @/../src/demo/spwan.cpp#fork-exec\n',
    'book/nofile.md:1:', 'file src/demo/spwan.cpp does not exist (wanted region "fork-exec")')
})

test('a region with no end fails', () => {
  rejects('open.md', '<<< @/../src/demo/spawn.cpp#never-closed\n',
    'but no "// #endregion never-closed"')
})

test('a whole file (no region) fails', () => {
  rejects('whole.md', '<<< @/../src/demo/spawn.cpp\n',
    'book/whole.md:1:', 'includes the whole of src/demo/spawn.cpp')
  rejects('whole2.md', '<<< @/../src/demo/spawn.cpp{2} [spawn.cpp]\n', 'includes the whole of')
})

test('includes from outside src/ and chapters/ fail', () => {
  rejects('out1.md', '<<< @/../tests/secret.cpp#r\n', 'tests/secret.cpp is outside src/ and chapters/')
  rejects('out2.md', '<<< @/../src/../tests/secret.cpp#r\n', 'is outside')
  rejects('out3.md', '<<< ../tests/secret.cpp#r\n', 'is outside')
  rejects('out4.md', '<<< /etc/passwd#r\n', 'is outside')
  fs.symlinkSync(path.join(root, 'tests/secret.cpp'), path.join(root, 'src/demo/link.cpp'))
  rejects('out5.md', '<<< @/../src/demo/link.cpp#r\n', 'src/demo/link.cpp is outside')
})

test('a relative path inside src/ is allowed', () => {
  shows(render('rel.md', '<<< ../src/demo/spawn.cpp#fork-exec\n'), 'pid_t pid = fork();')
})

test('line highlights and titles still work with a region', () => {
  const html = render('opts.md', '<<< @/../src/demo/spawn.cpp#fork-exec{1} [spawn.cpp]\n')
  shows(html, 'pid_t pid = fork();')
  assert.match(html, /class="line highlighted"/)
})

test('an included block is labelled with its file, except in a code group', () => {
  assert.match(render('label.md', '<<< @/../src/demo/spawn.cpp#fork-exec\n'),
    /<div class="berth-source"[^>]*>src\/demo\/spawn\.cpp<\/div>/)
  const group = render('group.md',
    '::: code-group\n\n<<< @/../src/demo/spawn.cpp#fork-exec [a]\n\n<<< @/../chapters/01-demo/main.cpp#main [b]\n\n:::\n')
  assert.doesNotMatch(group, /berth-source/)
  shows(group, 'pid_t pid = fork();')
  shows(group, 'int main() { return 0; }')
})

test('a <<< line that continues a paragraph fails', () => {
  rejects('para.md', '# T\n\nSee this:\n<<< @/../src/demo/spawn.cpp#fork-exec\n',
    'book/para.md:4:', 'continues a paragraph')
})

test('a <<< line shown inside a code fence is left alone', () => {
  shows(render('fence.md', '```md\n<<< @/../src/nothing.cpp\n```\n'), '<<< @/../src/nothing.cpp')
})

test('a bad line is found in the page outside code fences', () => {
  rejects('twice.md', '```md\n<<< @/../src/demo/spawn.cpp#x\n```\n\n<<< @/../src/demo/spawn.cpp#x\n',
    'book/twice.md:5:')
})

test('an @include that VitePress could not resolve fails', () => {
  rejects('inc.md', '# T\n\n<!--@include: ./missing.md-->\n', 'book/inc.md:3:', 'does not exist')
})
