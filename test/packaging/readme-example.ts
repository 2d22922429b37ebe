import { readFileSync } from 'node:fs'

/**
 * The code block that follows `<!-- example: NAME -->` in a README: the examples the packaging test
 * installs and runs, so that what the README shows is what works.
 */
export function readmeExample(readme: URL, name: string): string {
  const text = readFileSync(readme, 'utf8')
  const marker = `<!-- example: ${name} -->`
  const at = text.indexOf(marker)
  if (at === -1) throw new Error(`${readme.pathname} has no ${marker}`)
  const block = /```(?:ts|js)\n([\s\S]*?)```/.exec(text.slice(at))
  if (block?.[1] === undefined) throw new Error(`no code block after ${marker}`)
  return block[1]
}

/**
 * Points a README receiver at the test's loopback JWKS and port. The example is otherwise run as
 * written; each replacement must apply, so a README that drifts from this shape fails loudly.
 */
export function forLoopback(example: string, typescript: boolean): string {
  const env = (name: string): string => `process.env.${name}${typescript ? '!' : ''}`
  const replacements: Array<[string | RegExp, string]> = [
    ["'https://partner.example/.well-known/jwks.json'", env('JWKS_URI')],
    // The JWKS is served over plain HTTP on loopback, which the verifier allows only when told.
    ['issuers: [', 'allowInsecureHttp: true,\n  issuers: ['],
    [/app\.listen\(3000\)|app\.listen\(\{ port: 3000 \}\)/, 'app.listen(PORT_AND_HOST)'],
  ]
  let code = example
  for (const [from, to] of replacements) {
    const next = code.replace(from, to)
    if (next === code) throw new Error(`the example no longer contains ${String(from)}`)
    code = next
  }
  const listen = example.includes('app.listen({ port: 3000 })')
    ? `{ port: Number(process.env.PORT), host: '127.0.0.1' }`
    : `Number(process.env.PORT), '127.0.0.1'`
  return code.replace('PORT_AND_HOST', listen)
}
