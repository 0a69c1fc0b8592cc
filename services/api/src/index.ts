export { type ApiDeps, type ApiHandle, createApp, startApi } from './app';
export { type ApiConfig, apiConfigShape, checkApiConfig } from './config';
export { buildOpenApiDocument } from './openapi';
