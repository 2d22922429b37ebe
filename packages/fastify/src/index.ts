export { hooksealFastify, hooksealFastify as default } from './hookseal-fastify.js'
export { hooksealSender } from './hookseal-sender.js'
export { jwksHandler } from './jwks-handler.js'

export type { HooksealFastifyOptions, HooksealFastifyRouteOptions } from './types.js'
export type { HooksealSenderOptions, JwksHandlerOptions } from './sender-types.js'
