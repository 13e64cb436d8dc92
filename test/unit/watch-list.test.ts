import { ConfigurationError } from '../../lib/errors';
import { loadPollConfig, parseWatchList } from '../../lib/poll/watch-list';

const PROJECT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const OTHER = 'aaaabbbbccccddddeeeeffff00001111';
const INSTANCE = '59f6d088-1b2c-4d5e-8f90-123456789abc';
const TASK_A = '194917d0-aaaa-4bbb-8ccc-0123456789ab';
const TASK_B = '194917d0-bbbb-4bbb-8ccc-0123456789ab';
const ONE_PROJECT = { projectIds: new Set([PROJECT]), defaultProjectId: PROJECT };
const TWO_PROJECTS = { projectIds: new Set([PROJECT, OTHER]), defaultProjectId: undefined };

describe('parseWatchList', () => {
  it('reads full task entries separated by commas and whitespace', () => {
    const entries = parseWatchList(
      `${PROJECT}/${INSTANCE}/${TASK_A},\n ${PROJECT}/${INSTANCE}/${TASK_B}`,
      ONE_PROJECT,
    );

    expect(entries).toEqual([
      { kind: 'task', ref: { projectId: PROJECT, instanceId: INSTANCE, taskId: TASK_A } },
      { kind: 'task', ref: { projectId: PROJECT, instanceId: INSTANCE, taskId: TASK_B } },
    ]);
  });

  it('fills in the project when the deployment serves only one', () => {
    const [entry] = parseWatchList(`${INSTANCE}/${TASK_A}`, ONE_PROJECT);

    expect(entry).toEqual({
      kind: 'task',
      ref: { projectId: PROJECT, instanceId: INSTANCE, taskId: TASK_A },
    });
  });

  it('reads a whole-instance entry', () => {
    const [entry] = parseWatchList(`${INSTANCE}/*`, ONE_PROJECT);

    expect(entry).toEqual({ kind: 'instance', projectId: PROJECT, instanceId: INSTANCE });
  });

  it('drops duplicates', () => {
    const entries = parseWatchList(
      `${INSTANCE}/${TASK_A} ${PROJECT}/${INSTANCE}/${TASK_A}`,
      ONE_PROJECT,
    );

    expect(entries).toHaveLength(1);
  });

  it('requires the project when several are served', () => {
    expect(() => parseWatchList(`${INSTANCE}/${TASK_A}`, TWO_PROJECTS)).toThrow(
      /must name its project/,
    );
  });

  it('refuses a project the deployment does not serve', () => {
    expect(() => parseWatchList(`${OTHER}/${INSTANCE}/${TASK_A}`, ONE_PROJECT)).toThrow(
      /not in HUAWEICLOUD_PROJECT_ID/,
    );
  });

  it.each(['just-one-part', `${INSTANCE}/not-a-uuid`, `a/b/c/d`, `${PROJECT}/${INSTANCE}/..`])(
    'refuses the malformed entry %s, naming WATCHED_TASKS and its position',
    (entry) => {
      expect(() => parseWatchList(`${INSTANCE}/${TASK_A}, ${entry}`, ONE_PROJECT)).toThrow(
        /WATCHED_TASKS entry 2/,
      );
    },
  );
});

describe('an empty or malformed-empty watch list', () => {
  it.each(['', '  \n\t '])(
    'is no entry when WATCHED_TASKS=%j is empty: the stored watches are the whole list',
    (value) => {
      expect(parseWatchList(value, ONE_PROJECT)).toEqual([]);
    },
  );

  it.each([',,,', ' , \n ,\t'])(
    'is refused when WATCHED_TASKS=%j holds separators only, naming the variable',
    (value) => {
      expect(() => parseWatchList(value, ONE_PROJECT)).toThrow(ConfigurationError);
      expect(() => parseWatchList(value, ONE_PROJECT)).toThrow(/WATCHED_TASKS/);
    },
  );

  it('is refused by loadPollConfig', () => {
    expect(() =>
      loadPollConfig({ WATCHES_TABLE_NAME: 'watches-table', WATCHED_TASKS: ',,,' }, ONE_PROJECT),
    ).toThrow(/WATCHED_TASKS/);
  });
});

describe('the scheduled function at cold start', () => {
  const baseEnv = {
    HUAWEICLOUD_SECRET_ID: 'huawei-secret',
    HUAWEICLOUD_REGION: 'cn-north-4',
    HUAWEICLOUD_PROJECT_ID: PROJECT,
    STATUS_TABLE_NAME: 'status-table',
    WATCHES_TABLE_NAME: 'watches-table',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'example-secret',
  };
  const saved = process.env;

  afterEach(() => {
    process.env = saved;
  });

  function coldStart(watchedTasks: string): unknown {
    process.env = { ...saved, ...baseEnv, WATCHED_TASKS: watchedTasks };
    let loaded: unknown;
    jest.isolateModules(() => {
      loaded = jest.requireActual('../../functions/scheduled');
    });
    return loaded;
  }

  it('starts with a watch list', () => {
    expect(coldStart(`${INSTANCE}/*`)).toHaveProperty('handler');
  });

  it('refuses to start with WATCHED_TASKS=",,,", naming the variable', () => {
    expect(() => coldStart(',,,')).toThrow(/WATCHED_TASKS/);
  });

  it('starts with an empty WATCHED_TASKS: the stored watches are polled', () => {
    expect(coldStart('')).toHaveProperty('handler');
  });
});

describe('loadPollConfig', () => {
  it('watches no configured entry when WATCHED_TASKS is absent', () => {
    const config = loadPollConfig({ WATCHES_TABLE_NAME: 'watches-table' }, ONE_PROJECT);

    expect(config.watchList).toEqual([]);
  });

  it('requires WATCHES_TABLE_NAME, naming it', () => {
    expect(() => loadPollConfig({ WATCHED_TASKS: `${INSTANCE}/*` }, ONE_PROJECT)).toThrow(
      /WATCHES_TABLE_NAME/,
    );
  });

  it('applies the default concurrency', () => {
    const config = loadPollConfig(
      { WATCHES_TABLE_NAME: 'watches-table', WATCHED_TASKS: `${INSTANCE}/${TASK_A}` },
      ONE_PROJECT,
    );

    expect(config.concurrency).toBe(16);
  });
});
