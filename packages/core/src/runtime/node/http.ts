/** The HTTP seam on Node: bounded node:http/node:https requests, as the rest of core makes them. */
export { boundedRequest } from '../../lib/bounded-request.js'
