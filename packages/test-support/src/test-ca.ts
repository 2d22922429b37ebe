import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto)

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const DAY_MS = 24 * 60 * 60 * 1000

/** A certificate and its private key, both PEM, as `https.createServer` takes them. */
export interface TestCertificate {
  readonly cert: string
  readonly key: string
}

export interface ServerCertificateOptions {
  /** IP addresses for the subjectAltName. @default ['127.0.0.1'] */
  readonly ipAddresses?: readonly string[]
  /** DNS names for the subjectAltName. @default ['localhost'] */
  readonly dnsNames?: readonly string[]
}

/** A certificate authority made at test time, trusted by nothing unless passed as `ca`. */
export interface TestCa {
  /** The CA certificate, PEM, to pass as a client's `ca`. */
  readonly caPem: string
  /** Issues a TLS server certificate signed by this CA. */
  issueServerCertificate(options?: ServerCertificateOptions): Promise<TestCertificate>
}

function serialNumber(): string {
  // A positive serial: the high bit of the first byte clear.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16))
  bytes[0] = (bytes[0] ?? 0) & 0x7f
  return Buffer.from(bytes).toString('hex')
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now()
  return { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + DAY_MS) }
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key)
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')
}

/**
 * Creates a CA (ECDSA P-256, valid for a day either side of now) that can issue server
 * certificates for loopback TLS tests.
 *
 * @example
 * ```ts
 * const ca = await createTestCa()
 * const { cert, key } = await ca.issueServerCertificate({ ipAddresses: ['127.0.0.1'] })
 * const server = https.createServer({ cert, key }, handler)
 * https.get(url, { ca: ca.caPem })
 * ```
 */
export async function createTestCa(commonName = 'hookseal test CA'): Promise<TestCa> {
  const caKeys = await generateKeys()
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    ...validity(),
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  })

  async function issueServerCertificate(
    options: ServerCertificateOptions = {},
  ): Promise<TestCertificate> {
    const { ipAddresses = ['127.0.0.1'], dnsNames = ['localhost'] } = options
    const keys = await generateKeys()
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: `CN=${dnsNames[0] ?? ipAddresses[0] ?? 'server'}`,
      issuer: caCert.subject,
      ...validity(),
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
          ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    })
    return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) }
  }

  return { caPem: caCert.toString('pem'), issueServerCertificate }
}
