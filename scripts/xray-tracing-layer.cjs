/**
 * Serverless plugin (serverless.yml `plugins`): builds the xrayTracing layer's content before the
 * framework zips it, so that `serverless package` and `serverless deploy` never ship a stale or
 * missing layer. The layer exists only with the `tracing` param set to 'true'; otherwise this does
 * nothing and packaging costs nothing more.
 *
 * The layer holds one package, custom.xrayTracing.module, at nodejs/node_modules/<module>/index.js:
 * Lambda extracts a layer to /opt, and its Node runtime's NODE_PATH includes /opt/nodejs/node_modules.
 * It is custom.xrayTracing.entry bundled with the functions' own esbuild options, so that the
 * Powertools Tracer and the X-Ray SDK it carries are minified and tree-shaken like the functions.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the framework requires its plugins */
const { rmSync } = require('node:fs');
const { join } = require('node:path');

class XrayTracingLayer {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:createDeploymentArtifacts': () => this.build() };
  }

  async build() {
    const { service, serviceDir } = this.serverless;
    const layer = service.layers?.xrayTracing;
    if (!layer) return;
    const { module: name, entry } = service.custom.xrayTracing;
    const { target, platform, format, mainFields, minify } = service.custom.esbuild;
    const layerDir = join(serviceDir, layer.path);
    rmSync(layerDir, { recursive: true, force: true });
    // Loaded here, not at the top: only a packaging with the layer needs it.
    const { build } = require('esbuild');
    await build({
      entryPoints: [join(serviceDir, entry)],
      outfile: join(layerDir, 'nodejs', 'node_modules', name, 'index.js'),
      bundle: true,
      target,
      platform,
      format,
      mainFields,
      minify,
      sourcemap: false,
      logLevel: 'warning',
    });
  }
}

module.exports = XrayTracingLayer;
