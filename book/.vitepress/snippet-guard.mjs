// The book's rule for code: every snippet is included from src/ or chapters/
// by region, never pasted and never a whole file (DESIGN.md, "Book").
//
// VitePress's own `<<< @/../src/x.cpp#name` include is forgiving in ways that
// hide mistakes: a region that does not exist (renamed in the source, or
// misspelt in the page) silently includes the WHOLE file, and a `<<<` line
// that follows a paragraph without a blank line is printed as plain text.
// This markdown-it plugin runs just before VitePress's snippet rule, checks
// every include and throws an error that names the page, the line, the file
// and the region, so `vitepress build` (and so `make book`) fails instead.
//
// Plain JavaScript with no dependency, so that tests/book can load it alone.

import fs from 'node:fs'
import path from 'node:path'

// The path syntax VitePress 1.6 parses after `<<<`: file, #region,
// {lines lang attrs}, [title]. Same expression, so both read a line alike.
const rawPathRegexp =
  /^(.+?(?:(?:\.([a-z0-9]+))?))(?:(#[\w-]+))?(?: ?(?:{(\d+(?:[,-]\d+)*)? ?(\S+)? ?(\S+)?}))? ?(?:\[(.+)\])?$/

// The region markers VitePress 1.6 recognises, in its order. Berth's sources
// use the first: `// #region NAME` ... `// #endregion NAME`.
const regionRegexps = [
  /^\/\/ ?#?((?:end)?region) ([\w*-]+)$/,
  /^\/\* ?#((?:end)?region) ([\w*-]+) ?\*\/$/,
  /^#pragma ((?:end)?region) ([\w*-]+)$/,
  /^<!-- #?((?:end)?region) ([\w*-]+) -->$/,
  /^#((?:End )Region) ([\w*-]+)$/,
  /^::#((?:end)region) ([\w*-]+)$/,
  /^# ?((?:end)?region) ([\w*-]+)$/,
]

function isMarker(line, regexp, name, end) {
  const [full, tag, found] = regexp.exec(line.trim()) || []
  return Boolean(full && tag && found === name &&
    tag.match(end ? /^[Ee]nd ?[rR]egion$/ : /^[rR]egion$/))
}

// Where region `name` starts and ends in `text`, as VitePress finds it, or
// what is wrong: { found: true } | { found: false, started: bool }.
export function findRegion(text, name) {
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  let regexp = null
  for (const line of lines) {
    if (regexp === null) {
      regexp = regionRegexps.find((r) => isMarker(line, r, name, false)) ?? null
    } else if (isMarker(line, regexp, name, true)) {
      return { found: true }
    }
  }
  return { found: false, started: regexp !== null }
}

const posix = (p) => p.split(path.sep).join('/')

// Checks the text after `<<<` on one line of a page. Returns null when the
// include is allowed and resolves, or a sentence saying what is wrong.
//   rawPath   the text after `<<<`, e.g. "@/../src/process/spawn.cpp#spawn"
//   pagePath  absolute path of the page (relative includes start there)
//   srcDir    the book's directory (VitePress's `@`)
//   allowed   directory names under the repository root code may come from
export function checkInclude(rawPath, { pagePath, srcDir, allowed = ['src', 'chapters'] }) {
  const repoRoot = path.resolve(srcDir, '..')
  const expanded = rawPath.trim().replace(/^@/, srcDir).trim()
  const [, filepath = '', , region = ''] = rawPathRegexp.exec(expanded) || []
  const file = path.resolve(path.dirname(pagePath), filepath)
  const shown = posix(path.relative(repoRoot, file))
  const regionName = region.slice(1)

  const within = (root, target) => {
    const rel = path.relative(root, target)
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
  }
  // By name, and (when it exists) after following symbolic links.
  const real = (p) => { try { return fs.realpathSync(p) } catch { return null } }
  const inside = allowed.some((dir) => {
    const root = path.join(repoRoot, dir)
    if (!within(root, file)) return false
    const [realRoot, realFile] = [real(root), real(file)]
    return realFile === null || (realRoot !== null && within(realRoot, realFile))
  })
  if (!inside) {
    return `${shown} is outside ${allowed.map((d) => d + '/').join(' and ')}: ` +
      'the book includes code only from those'
  }
  if (!regionName) {
    const hint = filepath.includes('#')
      ? ' (a region name has only letters, digits, _ and -)'
      : ''
    return `includes the whole of ${shown}${hint}: the book includes code by region ` +
      `only; mark one in the source with "// #region NAME" ... "// #endregion NAME" ` +
      `and write <<< ${rawPath.trim().split(/[#{\[ ]/)[0]}#NAME`
  }
  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    const why = err.code === 'ENOENT' ? 'does not exist' : (err.code === 'EISDIR'
      ? 'is a directory, not a file' : `cannot be read (${err.message})`)
    return `file ${shown} ${why} (wanted region "${regionName}")`
  }
  const found = findRegion(text, regionName)
  if (!found.found) {
    return found.started
      ? `region "${regionName}" in ${shown} has "// #region ${regionName}" ` +
        `but no "// #endregion ${regionName}"`
      : `file ${shown} has no region "${regionName}" ` +
        `(no line "// #region ${regionName}")`
  }
  return null
}

export class BookIncludeError extends Error {
  constructor(message) {
    super(message)
    this.name = 'BookIncludeError'
  }
}

// The line of the page a `<<<` line came from. markdown-it counts lines
// after the front matter (and after any @include'd text), so look the line
// up in the page file itself, outside code fences. Identical lines fail
// alike, so the first one is the one to report.
function pageLine(env, text, fallback) {
  try {
    const lines = fs.readFileSync(env.realPath ?? env.path, 'utf8').split(/\r?\n/)
    const hits = []
    let fence = null // the marker of the code fence we are in, if any
    lines.forEach((l, i) => {
      const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(l)?.[1]
      if (fence === null && marker) fence = marker
      else if (fence !== null && marker && marker[0] === fence[0] &&
               marker.length >= fence.length && l.trim() === marker) fence = null
      else if (fence === null && l.trim() === text) hits.push(i + 1)
    })
    if (hits.length > 0) return hits[0]
  } catch { /* not a file: fall through */ }
  return fallback
}

// The markdown-it plugin. Options: { srcDir, allowed? }.
export function snippetGuard(md, { srcDir, allowed = ['src', 'chapters'] }) {
  const repoRoot = path.resolve(srcDir, '..')
  const where = (env) => (env && env.path
    ? posix(path.relative(repoRoot, env.realPath ?? env.path))
    : '(page)')

  const fail = (env, line, what, problem) => {
    throw new BookIncludeError(`book include: ${where(env)}:${line}: ${what}: ${problem}`)
  }

  // Before VitePress's "snippet" rule (which sits before "fence"): code
  // fences are claimed by the fence rule first, so a `<<<` shown inside a
  // ``` block is never checked or included.
  const guard = (state, startLine, endLine, silent) => {
    const pos = state.bMarks[startLine] + state.tShift[startLine]
    const max = state.eMarks[startLine]
    if (state.sCount[startLine] - state.blkIndent >= 4) return false
    if (pos + 3 > max || state.src.slice(pos, pos + 3) !== '<<<') return false
    if (silent) return false
    const lineText = state.src.slice(pos, max).trim()
    const problem = checkInclude(state.src.slice(pos + 3, max), {
      pagePath: state.env.realPath ?? state.env.path ?? path.join(srcDir, 'page.md'),
      srcDir, allowed,
    })
    if (problem) fail(state.env, pageLine(state.env, lineText, startLine + 1), lineText, problem)
    return false // VitePress's own snippet rule does the including
  }
  md.block.ruler.before('snippet', 'berth_snippet_guard', guard)

  // Above each included block, the file it comes from, so a reader can find
  // it in the tree (styled in theme/custom.css). Not inside a ::: code-group,
  // whose tabs already name each block.
  const inCodeGroup = (tokens, idx) => {
    let depth = 0
    for (let i = 0; i < idx; i++) {
      if (tokens[i].type === 'container_code-group_open') depth++
      if (tokens[i].type === 'container_code-group_close') depth--
    }
    return depth > 0
  }
  const fence = md.renderer.rules.fence
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const [file, region] = tokens[idx].src ?? []
    const html = fence(tokens, idx, options, env, self)
    if (!file || inCodeGroup(tokens, idx)) return html
    const shown = md.utils.escapeHtml(posix(path.relative(repoRoot, file)))
    return `<div class="berth-source" title="region ${md.utils.escapeHtml(region ?? '')}">` +
      `${shown}</div>\n${html}`
  }

  // After parsing: what the rule above could not see.
  md.core.ruler.after('inline', 'berth_snippet_guard_after', (state) => {
    for (const token of state.tokens) {
      // A `<<<` line that continues a paragraph is not an include at all:
      // markdown-it prints it as text. Demand the blank line.
      if (token.type === 'inline' && token.map) {
        const lines = token.content.split('\n')
        lines.forEach((l, i) => {
          const text = l.trim()
          if (text.startsWith('<<<')) {
            fail(state.env, pageLine(state.env, text, token.map[0] + i + 1), text,
              'is printed as text because it continues a paragraph; ' +
              'put a blank line before it')
          }
        })
      }
      // VitePress replaces <!--@include: FILE--> before parsing and leaves the
      // comment, invisible, when FILE cannot be read.
      for (const t of [token, ...(token.children ?? [])]) {
        if ((t.type === 'html_block' || t.type === 'html_inline') &&
            /<!--\s*@include:/.test(t.content)) {
          const text = t.content.trim().split('\n')[0]
          fail(state.env, pageLine(state.env, text, (token.map?.[0] ?? 0) + 1), text,
            'the file to include does not exist')
        }
      }
    }
  })
}
