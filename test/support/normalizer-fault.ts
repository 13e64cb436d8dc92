import type * as ConnectorTaskModule from '../../lib/connector-task';

/*
 * Normalizing a task fails only on Huawei's account (UpstreamContractError), hostile objects
 * included: no input provokes a fault of our own. A test that needs one mocks the module,
 *   jest.mock('../../lib/connector-task', () =>
 *     jest.requireActual<typeof NormalizerFault>('../support/normalizer-fault').mockableConnectorTask());
 * keeps the real normalizer until `failNormalizing` says otherwise, and calls `restoreNormalizer`
 * after each test. The module is looked up lazily: the factory runs while it is being required.
 */
const PATH = '../../lib/connector-task';
const actual = () => jest.requireActual<typeof ConnectorTaskModule>(PATH);

/** The module, its normalizer a passthrough mock: for a jest.mock factory. */
export function mockableConnectorTask(): typeof ConnectorTaskModule {
  const module = actual();
  return { ...module, normalizeConnectorTask: jest.fn(module.normalizeConnectorTask) };
}

function mockedNormalizer() {
  return jest.mocked(jest.requireMock<typeof ConnectorTaskModule>(PATH).normalizeConnectorTask);
}

/** From now on the normalizer throws `fault` for the entity with this id, or for every entity. */
export function failNormalizing(fault: Error, taskId?: string): void {
  const real = actual().normalizeConnectorTask;
  mockedNormalizer().mockImplementation((body, what) => {
    if (taskId === undefined || (body as { id?: unknown } | null)?.id === taskId) throw fault;
    return real(body, what);
  });
}

/** The real normalizer again, nothing queued and no calls remembered. */
export function restoreNormalizer(): void {
  mockedNormalizer().mockReset().mockImplementation(actual().normalizeConnectorTask);
}
