export { startSimulator } from './server';
export type { RequestLogEntry, Simulator, SimulatorOptions, SimulatorStats } from './server';
export { ALL_PERMISSIONS } from './auth';
export type { Credential, Permission } from './auth';
export { FaultPlan, FAULT_KINDS } from './faults';
export type { EnqueueOptions, Fault, FaultKind, FaultMatch, RandomFaultConfig } from './faults';
export { Datastore, DatastoreStore } from './store';
export type { DatastoreInit, ItemRecord, KeyGenerationStrategy } from './store';
export type { RateLimitConfig } from './rateLimiter';
