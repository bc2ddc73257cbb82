// @ts-check
/**
 * dependency-cruiser rules for src/ (`npm run lint` runs them after tsc and ESLint).
 * Why these rules: docs/decisions/0016-one-way-layering-checked-by-dependency-cruiser.md.
 * Rule syntax: https://github.com/sverweij/dependency-cruiser/blob/main/doc/rules-reference.md
 *
 * A unit is a top-level folder of src/, except that each folder of src/common is a unit of its
 * own (src/common is a shelf of small toolboxes, not one layer), `root` is the files directly in
 * src/ (main.ts, app.module.ts, app-entities.ts: where everything is wired together) and `common`
 * the files directly in src/common (the module that wires the toolboxes).
 *
 * LAYERS names, for each unit, the units it sits directly on. A unit may import itself and every
 * unit below it, directly or through others; nothing else. The map is checked for loops when this
 * file loads, so the folders can never import each other in a circle.
 */

/** @type {Record<string, string[]>} */
const LAYERS = {
  // Pure: no framework, no I/O. The leaf the data path and the admin side share.
  'common/json': [],
  model: ['common/json'],

  // Foundations.
  config: [],
  metrics: [],
  'common/request-context': [],
  'common/logging': ['config'],
  database: ['common/logging', 'common/json'],
  'common/errors': ['database'],
  'common/concurrency': ['common/errors'],
  'common/http': ['common/errors'],
  'common/auth': ['common/http', 'common/request-context'],
  'common/validation': ['common/errors', 'common/json'],
  common: ['common/auth', 'common/validation', 'common/concurrency'],
  placement: ['config'],
  secrets: ['config'],
  console: ['config'],

  // The data path's building blocks, then the features the admin API manages.
  etl: ['model'],
  delivery: ['model', 'common/concurrency', 'common/logging'],
  // What one record becomes as a request (RecordShaper): live delivery, re-delivery and the preview share it.
  shaping: ['etl', 'delivery'],
  audit: ['common/validation', 'common/request-context'],
  subscriptions: ['audit', 'secrets', 'shaping', 'common/auth'],
  tickets: ['subscriptions'],
  'dead-letters': ['subscriptions'],

  // The data plane: supervisor, consumers, group look-ups, start positions.
  runtime: ['dead-letters', 'placement', 'metrics', 'common/concurrency'],
  // Instances and heartbeats (they report what the data plane runs).
  cluster: ['runtime'],
  // Acts on Kafka groups from the admin side: offset reset, status.
  'control-plane': ['cluster'],
  // What a subscription would do (ETL preview, test delivery): the data path's shaping and
  // judging, called from the admin side.
  preview: ['runtime', 'tickets'],
  alerts: ['runtime'],
  health: ['runtime'],
  docs: ['control-plane', 'tickets', 'preview'],

  // Wiring and entry points.
  root: ['alerts', 'health', 'docs', 'console', 'common', 'preview'],
  cli: ['root'],
};

/** The data path: what runs per record. */
const DATA_PATH = '^src/(runtime/consumers|delivery|etl|model|shaping)/';
/** Admin HTTP code: controllers and Nest's HTTP plumbing, and the folders that only serve admins. */
const ADMIN_HTTP = [
  '[.](controller|guard|pipe|filter|decorator)[.]ts$',
  '^src/common/(http|auth|validation|request-context)/',
  '^src/(control-plane|docs|console|preview)/',
];
/** npm packages the pure units may use: no framework, no I/O. */
const PURE_PACKAGES = ['jsonpath-plus'];
/** Node built-ins the pure units may use. */
const PURE_BUILTINS = ['buffer', 'util'];
/** Unit specs beside the sources are tests: the layering is about what ships. */
const SPECS = '[.]spec[.]ts$';

function unitPath(unit) {
  if (unit === 'root') return '^src/[^/]+$';
  if (unit === 'common') return '^src/common/[^/]+$';
  return `^src/${unit}/`;
}

/** Every unit `unit` sits on, directly or not; throws when the map has a loop or an unknown name. */
function below(unit, trail = []) {
  if (!(unit in LAYERS)) throw new Error(`.dependency-cruiser.cjs: LAYERS names "${unit}", which is not a unit of its own`);
  if (trail.includes(unit)) throw new Error(`.dependency-cruiser.cjs: LAYERS has a loop: ${[...trail, unit].join(' → ')}`);
  const all = new Set();
  for (const next of LAYERS[unit]) {
    all.add(next);
    for (const deeper of below(next, [...trail, unit])) all.add(deeper);
  }
  return all;
}

const ALL_UNITS = Object.keys(LAYERS).map(unitPath);

const layerRules = Object.keys(LAYERS).map((unit) => ({
  name: `layer-${unit.replace('/', '-')}`,
  comment: `${unit} may import only ${[...below(unit)].sort().join(', ') || 'itself'} (LAYERS in .dependency-cruiser.cjs). Move shared pure code down to src/model, or invert the dependency through a small interface.`,
  severity: 'error',
  from: { path: unitPath(unit), pathNot: SPECS },
  to: { path: '^src/', pathNot: [unitPath(unit), ...[...below(unit)].map(unitPath)] },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules that import each other, directly or in a loop (type-only imports count): move what both need into a module of its own.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-tests',
      comment:
        'Shipped code never imports the test suites, benchmarks or scripts (a unit spec beside the code is a test, and may share test/support fixtures).',
      severity: 'error',
      from: { path: '^src/', pathNot: SPECS },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'unit-in-layers',
      comment: 'A folder of src/ that LAYERS in .dependency-cruiser.cjs does not place: add it to the map where it belongs.',
      severity: 'error',
      from: { path: '^src/', pathNot: ALL_UNITS },
      to: {},
    },
    {
      name: 'unit-in-layers-target',
      comment: 'An import of a folder of src/ that LAYERS in .dependency-cruiser.cjs does not place: add it to the map where it belongs.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: ALL_UNITS },
    },
    ...layerRules,
    {
      name: 'pure-units-packages',
      comment: `src/model and src/common/json are pure: no Nest, TypeORM, Kafka client, undici or other I/O. npm packages allowed there: ${PURE_PACKAGES.join(', ')}.`,
      severity: 'error',
      from: { path: '^src/(model|common/json)/', pathNot: SPECS },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown', 'unknown'],
        pathNot: PURE_PACKAGES.map((p) => `^node_modules/${p}/`),
      },
    },
    {
      name: 'pure-units-builtins',
      comment: `src/model and src/common/json are pure: Node built-ins allowed there: ${PURE_BUILTINS.join(', ')}.`,
      severity: 'error',
      from: { path: '^src/(model|common/json)/', pathNot: SPECS },
      to: { dependencyTypes: ['core'], pathNot: `^(node:)?(${PURE_BUILTINS.join('|')})$` },
    },
    {
      name: 'data-path-not-to-admin-http',
      comment: 'The data path (runtime/consumers, delivery, etl, model, shaping) never imports controllers, HTTP plumbing or admin-only folders.',
      severity: 'error',
      from: { path: DATA_PATH, pathNot: SPECS },
      to: { path: ADMIN_HTTP },
    },
    {
      name: 'data-path-not-to-express',
      comment: 'The data path (runtime/consumers, delivery, etl, model, shaping) never touches the admin HTTP server.',
      severity: 'error',
      from: { path: DATA_PATH, pathNot: SPECS },
      to: { path: '^node_modules/(express|@nestjs/platform-express)/' },
    },
    {
      name: 'kafka-client-only-in-session',
      comment:
        'In the consumer, only the Kafka session (kafka-session.ts and the broker queries it hands out, consumer-offset-source.ts) calls the Kafka client; the ledger, dispatcher, commit manager and the rest take its record and offset types only.',
      severity: 'error',
      from: { path: '^src/runtime/consumers/', pathNot: ['^src/runtime/consumers/(kafka-session|consumer-offset-source)\\.ts$', SPECS].flat() },
      to: { path: '^node_modules/@confluentinc/kafka-javascript/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'env-only-in-config',
      comment: 'Only src/config reads the environment (AppConfig); ESLint catches the global `process.env`, this the imported `process`.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/config/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?process$' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: they are design dependencies even when the compiler drops them.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/console/public/' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
