export { hooksealFastify, hooksealFastify as default } from './hookseal-fastify.js'

export type { HooksealFastifyOptions, HooksealFastifyRouteOptions } from './types.js'
