import { describe, expect, it } from 'vitest'
import { instruments, loadOpenTelemetry } from '../../src/telemetry/open-telemetry.js'
import { startTestTelemetry } from '@hookseal/test-support/telemetry'

describe('@opentelemetry/api installed, no SDK registered', () => {
  it('records nothing until an SDK registers its providers, then records', async () => {
    expect(await loadOpenTelemetry()).not.toBeNull()
    // The API alone hands out no-op providers: hookseal takes its plain path, as without the API.
    expect(instruments()).toBeNull()

    const telemetry = startTestTelemetry()
    expect(instruments()?.tracer).toBeDefined()
    await telemetry.shutdown()
  })
})
