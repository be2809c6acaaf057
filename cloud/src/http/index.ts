/** The REST API core (ARCHITECTURE §7). main.ts builds it with `createHttpApp` and serves it with `startHttpServer`. */
export { createHttpApp, type HttpApp, type HttpAppDeps, type RouteModule } from "./app.js";
export { ApiRouter, type RouteDef, type RouteEntry, type Reply, type ResponseDoc } from "./api-router.js";
export type { Call, RouteContext } from "./context.js";
export type { HttpConfig } from "./config.js";
export { startHttpServer, type RunningServer } from "./server.js";
export { statusOfCode, problem, toProblem } from "./problem.js";
export { PROBLEM, AUTH_ERRORS } from "./routes/docs.js";
