// The topology folder's public surface: other roles import from here only.
export {
  loadTopologyFile,
  parseTopology,
  type ArgValue,
  type ResolvedBinding,
  type ResolvedExchange,
  type ResolvedQueue,
  type ServerQueue,
  type Topology,
} from './load.js';
export { Logical, createNames, fillServerId, type Names } from './names.js';
export { declareServerQueue } from './server-queue.js';
export {
  TopologyConflictError,
  formatConflict,
  parseInequivalence,
  type Inequivalence,
  type TopologyConflict,
} from './conflict.js';
export { declareTopology, type DeclareResult } from './declare.js';
export {
  formatDifference,
  formatDifferences,
  formatPlacement,
  verifyTopology,
  type TopologyDifference,
  type VerifyOptions,
  type VerifyResult,
} from './verify.js';
export { bindingName, type QueuePlacement } from './management.js';
export { exportDefinitions, type Definitions, type ExportOptions } from './export.js';
export {
  runTopologyCommand,
  type TopologyCommandOptions,
  type TopologySubcommand,
} from './command.js';
export type {
  BindingSpec,
  ExchangeSpec,
  QueueSpec,
  ServerQueueSpec,
  TopologyFile,
} from './schema.js';
