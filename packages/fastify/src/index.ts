export { hooksealFastify, hooksealFastify as default } from './hookseal-fastify.js'
export { hooksealSender } from './hookseal-sender.js'
export { jwksHandler } from './jwks-handler.js'
export { connectionRoutes } from './connection-routes.js'

export type { HooksealFastifyOptions, HooksealFastifyRouteOptions } from './types.js'
export type { HooksealSenderOptions, JwksHandlerOptions } from './sender-types.js'
export type { FastifyConnectionRoutesOptions } from './connection-routes.js'
