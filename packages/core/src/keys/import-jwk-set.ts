import { collectJwkSet } from './collect-jwk-set.js'
import { importJwk } from './import-jwk.js'
import type { KeySetEntry } from './verification-key.js'

/** A JWKS imported once: every selectable entry by its kid. */
export type ImportedKeySet = ReadonlyMap<string, KeySetEntry>

/** Imports a parsed JWKS document into node:crypto KeyObjects; see {@link collectJwkSet}. */
export function importJwkSet(document: unknown, maxKeys: number): ImportedKeySet {
  return collectJwkSet(document, maxKeys, importJwk)
}
