import fs from 'node:fs';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import type { Config } from './config.js';
import type { Clock } from './clock.js';
import type { Logger } from './log/logger.js';
import { createApp, type Kontor } from './app.js';
import { ensureFirstSuperadmin } from './auth/first-admin.js';
import { openDatabase, type Database } from './db/database.js';
import { instanceDeps } from './wiring.js';
import { defaultStaticDir } from './paths.js';
import { loadOrCreateSecrets } from './secrets.js';
import { clearSpool } from './imports/spool.js';
import { runRetention } from './maintenance/retention-run.js';
import { SyslogShipper } from './audit/syslog-shipper.js';
import { loadOrCreateSigningKey } from './audit/checkpoint-key.js';
import { CheckpointService } from './audit/checkpoints.js';
import { failJoblessWork } from './jobs/startup-cleanup.js';
import { ClusterLeader } from './maintenance/cluster-leader.js';
import { MaintenanceLoop } from './maintenance/maintenance-loop.js';
import { purgeExpiredThrottles } from './maintenance/cluster-store.js';
import { clusterKeyFingerprint, refuseOtherClusterKeys } from './maintenance/cluster-keys.js';

export interface RunningServer {
  url: string;
  database: Database;
  kontor: Kontor;
  initialAdminFile: string | undefined;
  /** This instance holds the cluster's leader lock (runs the periodic work). */
  isLeader(): boolean;
  stop(): Promise<void>;
}

export class PortInUse extends Error {
  constructor(readonly port: number, readonly host: string) {
    super(`Port ${port} is in use (another program listens on ${host}:${port}). Stop it, or set PORT to a free port.`);
    this.name = 'PortInUse';
  }
}

/** Starts everything one instance needs: secrets, database, first admin, HTTP server, daily retention. */
export async function startServer(config: Config, logger: Logger, clock: Clock): Promise<RunningServer> {
  const secrets = loadOrCreateSecrets(config.home);
  const signingKey = loadOrCreateSigningKey(config.home, config.auditSigningKeyFile);
  const database = await openDatabase(config, secrets, logger);
  const keyFingerprint = clusterKeyFingerprint({
    sessionSecret: config.sessionSecret ?? secrets.sessionSecret, loginEventKey: config.loginEventKey ?? secrets.loginEventKey,
    totpKey: config.totpKey ?? secrets.totpKey, signingKeyId: signingKey.keyId,
  });
  const staticDir = config.staticDir ?? defaultStaticDir();
  const services = instanceDeps(config, secrets, database.api, logger, clock);
  const { mailer } = services;
  const checkpoints = new CheckpointService({ db: database.api, home: config.home, dir: config.auditCheckpointDir, key: signingKey, clock, logger });
  const shipper = config.auditSyslogUrl
    ? new SyslogShipper({ db: database.api, url: config.auditSyslogUrl, tls: config.auditSyslogTls, maxLagMs: config.auditSyslogMaxLagMs, clock, mailer, logger })
    : undefined;
  const kontor = createApp({
    ...services,
    sessionConnection: database.session,
    checkpoints,
    auditShipping: shipper,
    jsonBodyLimit: config.jsonBodyLimit,
    staticDir: fs.existsSync(staticDir) ? staticDir : undefined,
    trustProxy: config.trustProxy,
    securityHeaders: config.securityHeaders,
    throttles: config.throttles,
    jobs: { concurrency: config.jobConcurrency, keyFingerprint },
  });
  let initialAdminFile: string | undefined;
  try {
    // Whatever a crash of this instance left behind: its spool files go (their jobs, bound to the
    // old instance, are failed by the queue's sweep), and work without a job is marked failed.
    // Jobs other instances run are left alone.
    // One cluster, one set of keys: a joining instance with other keys would reject the others'
    // sessions and second factors and count throttles apart. Refuse before serving anything.
    await refuseOtherClusterKeys(database.api, keyFingerprint);
    const removed = clearSpool(path.join(config.home, 'spool'));
    const interrupted = await failJoblessWork(database.api, clock);
    if (removed || interrupted) logger.info({ removed, interrupted }, 'cleared after restart');
    await kontor.jobs.start();
    initialAdminFile = await ensureFirstSuperadmin({
      db: database.api, hasher: kontor.hasher, clock, logger, home: config.home, email: config.adminEmail,
    });
  } catch (err) {
    await kontor.jobs.stop();
    await database.close();
    throw err;
  }
  // Not app.listen: Express 5 hands a listen error to its callback, which looked like success.
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(kontor.app);
    s.once('error', reject);
    s.listen(config.port, config.host, () => {
      s.off('error', reject);
      resolve(s);
    });
  }).catch(async (err: unknown) => {
    await kontor.jobs.stop();
    await database.close();
    throw (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUse(config.port, config.host) : err;
  });
  // Periodic work runs on one instance of the cluster at a time (the leader), each slot once.
  const retentionSeconds = Math.round(config.retentionIntervalMs / 1000);
  const maintenance = new MaintenanceLoop({
    db: database.api, clock, logger, instanceId: kontor.jobs.instanceId, checkMs: Math.min(30_000, config.retentionIntervalMs / 2),
    tasks: [
      { name: 'retention', everySeconds: retentionSeconds, run: () => runRetention({ api: database.api, retentionUrl: database.retentionUrl, auth: kontor.auth, clock, mailer, logger }) },
      { name: 'throttle-purge', everySeconds: 3600, run: async (now) => ({ removed: await purgeExpiredThrottles(database.api, now) }) },
    ],
  });
  const leader = new ClusterLeader({
    connection: database.session, logger,
    onLead: () => {
      maintenance.start();
      shipper?.start();
      checkpoints.start(config.auditCheckpointMs);
    },
    onLose: async () => {
      await maintenance.stop();
      await checkpoints.stop();
      await shipper?.stop();
    },
  });
  leader.start();
  return {
    url: `http://${config.host}:${config.port}`,
    database,
    kontor,
    initialAdminFile,
    isLeader: () => leader.isLeader,
    stop: async () => {
      await leader.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await kontor.jobs.stop();
      await database.close();
    },
  };
}
