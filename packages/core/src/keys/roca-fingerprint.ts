/**
 * Detects RSA moduli made by the key generator behind ROCA (CVE-2017-15361), whose private keys can
 * be recovered from the public key. Such a modulus is congruent to a power of 65537 modulo every
 * small prime: for each prime below, a random modulus fails the test with high probability, and
 * together they leave a false-positive rate far below one in a billion.
 */
const PRIMES = [
  3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101,
  103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
]

/** For each prime, the residues that are powers of 65537 modulo it. */
const POWERS_OF_65537 = PRIMES.map((prime) => {
  const residues = new Set<number>()
  for (let power = 1; !residues.has(power); power = (power * 65537) % prime) residues.add(power)
  return { prime: BigInt(prime), residues }
})

export function hasRocaFingerprint(modulus: bigint): boolean {
  return POWERS_OF_65537.every(({ prime, residues }) => residues.has(Number(modulus % prime)))
}
