/** Figure 4: the deployment zip of each function, as `npm run package` wrote it to .serverless. */
import { FUNCTION_ZIP_BUDGET_BYTES } from '../../test/deploy/bundle-budget';
import type { Bundles } from '../support/bundles';

export interface BundleSize {
  readonly name: string;
  readonly zipBytes: number;
  /** The handler file inside the zip, uncompressed. */
  readonly entryBytes: number;
  readonly budgetBytes: number;
}

export function measureBundleSizes(bundles: Bundles): BundleSize[] {
  return [...bundles.functions.values()]
    .map((bundle) => ({
      name: bundle.name,
      zipBytes: bundle.zipBytes,
      entryBytes: bundle.entryBytes,
      budgetBytes: FUNCTION_ZIP_BUDGET_BYTES,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
