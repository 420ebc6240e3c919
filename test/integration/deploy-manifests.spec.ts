import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DCLinter } from 'dclint';
import { Arg, Copy, DockerfileParser, Instruction, Label } from 'dockerfile-ast';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '@wiz/config';
import { knownKinds, schemaErrors } from '../support/k8s-schema';

// No container engine runs here: these checks stand in for `docker compose config`,
// `kubectl apply --dry-run` and a look at the Dockerfile.

type Obj = Record<string, unknown>;

const root = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

function obj(value: unknown, where: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${where}: expected a mapping`);
  return value as Obj;
}
function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list`);
  return value;
}
function str(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

// The apps compile with tsc (outDir dist, root = repository): dist/<x>.js comes from <x>.ts.
function sourceOfEntry(distPath: string): string {
  const m = /^(?:\.\/)?dist\/(.+)\.js$/.exec(distPath);
  if (!m) throw new Error(`${distPath} is not a compiled entry under dist/`);
  return `${m[1]}.ts`;
}
// `node dist/…/main.js --flags` → the script argument.
function entryOf(argv: string[]): string {
  const script = argv.find((a) => a.endsWith('.js'));
  if (argv[0] !== 'node' || !script) throw new Error(`not a node entry: ${JSON.stringify(argv)}`);
  return script;
}
const expectEntrySourceExists = (argv: string[]): void => {
  const source = sourceOfEntry(entryOf(argv));
  expect({ source, exists: existsSync(join(root, source)) }).toEqual({ source, exists: true });
};

// The Dockerfile, parsed by dockerfile-ast (the parser of the Docker language server).
function parseDockerfile(text: string) {
  const file = DockerfileParser.parse(text);
  const instructions = file.getInstructions();
  const froms = instructions.filter((i) => i.getKeyword() === 'FROM');
  const stage = (from: Instruction) => {
    const start = instructions.indexOf(from);
    const next = froms[froms.indexOf(from) + 1];
    return instructions.slice(start, next ? instructions.indexOf(next) : undefined);
  };
  return { file, instructions, froms, stage };
}
const keyword = (stage: Instruction[], op: string): Instruction[] => stage.filter((i) => i.getKeyword() === op);
const argsOf = (i: Instruction | undefined): string => i?.getArgumentsContent() ?? '';
// ARG and LABEL name → value (ARG without a default: '').
function properties(stage: Instruction[], op: 'ARG' | 'LABEL'): Record<string, string> {
  return Object.fromEntries(
    keyword(stage, op).flatMap((i) =>
      op === 'ARG'
        ? [[(i as Arg).getProperty()?.getName() ?? '', (i as Arg).getProperty()?.getValue() ?? '']]
        : (i as Label).getProperties().map((p) => [p.getName(), p.getValue() ?? '']),
    ),
  );
}

describe('deploy manifests', () => {
  describe('Dockerfile', () => {
    const text = read('deploy/Dockerfile');
    const { file, froms, stage } = parseDockerfile(text);
    const build = stage(froms[0]);
    const runtime = stage(froms[froms.length - 1]);
    const runs = (s: Instruction[]): string => keyword(s, 'RUN').map(argsOf).join(' && ');
    const pkg = JSON.parse(read('package.json')) as {
      version: string;
      license: string;
      dependencies: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };

    it("passes the Docker language server's validator (dockerfile-utils)", () => {
      expect(validateDockerfile(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    });

    it('is a two-stage build on the current Node LTS, its base pinned by digest in one ARG', () => {
      expect(froms.map(argsOf)).toEqual(['${NODE_IMAGE} AS build', '${NODE_IMAGE}']);
      const image = file.getInitialARGs().find((a) => a.getProperty()?.getName() === 'NODE_IMAGE');
      const ref = DockerfileParser.parse(`FROM ${image?.getProperty()?.getValue() ?? ''}`).getFROMs()[0];
      expect({ name: ref.getImageName(), tag: ref.getImageTag() }).toEqual({ name: 'node', tag: '24-bookworm-slim' });
      expect(ref.getImageDigest()).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it('builds with the toolchain for better-sqlite3, then drops dev dependencies', () => {
      const script = runs(build);
      expect(script).toMatch(/apt-get install[^&]*\bpython3\b[^&]*\bmake\b[^&]*\bg\+\+/);
      const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((step) => script.indexOf(step));
      expect(order.every((pos) => pos >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      // npm ci needs the lockfile the Dockerfile copies in.
      expect(keyword(build, 'COPY').some((s) => argsOf(s).includes('package-lock.json'))).toBe(true);
      expect(existsSync(join(root, 'package-lock.json'))).toBe(true);
    });

    it('leaves better-sqlite3 out of a Postgres-only image (WITH_SQLITE=false)', () => {
      // better-sqlite3 is the only optional dependency the apps have; the store loads it only for SQLite.
      expect(pkg.optionalDependencies).toHaveProperty('better-sqlite3');
      expect(pkg.dependencies).not.toHaveProperty('better-sqlite3');
      expect(properties(build, 'ARG')).toMatchObject({ WITH_SQLITE: 'true' });
      expect(runs(build)).toMatch(
        /if \[ "\$WITH_SQLITE" = "false" \]; then npm prune --omit=dev --omit=optional; else npm prune --omit=dev; fi/,
      );
    });

    it('labels the image with the OCI annotations, from build arguments', () => {
      const labels = properties(runtime, 'LABEL');
      const args = properties(runtime, 'ARG');
      expect(labels).toMatchObject({
        'org.opencontainers.image.title': 'wiz',
        'org.opencontainers.image.licenses': pkg.license,
        'org.opencontainers.image.version': '${VERSION}',
        'org.opencontainers.image.revision': '${REVISION}',
        'org.opencontainers.image.source': '${SOURCE}',
        'org.opencontainers.image.base.name': '${NODE_IMAGE}',
      });
      // Every argument a label uses is declared in the final stage (else it expands to nothing).
      for (const value of Object.values(labels))
        for (const [, name] of value.matchAll(/\$\{(\w+)\}/g))
          expect({ name, declared: name in args }).toEqual({ name, declared: true });
      expect(args.VERSION).toBe(pkg.version);
    });

    it('runs as a non-root user with only what it needs', () => {
      const user = argsOf(keyword(runtime, 'USER').pop()) || 'root';
      expect(user).not.toMatch(/^(root|0)(:|$)/);
      const copied = (keyword(runtime, 'COPY') as Copy[]).map((c) => ({
        from: c.getFromFlag()?.getValue(),
        args: argsOf(c),
      }));
      for (const path of ['node_modules', 'dist', 'package.json']) {
        expect(copied.some((c) => c.from === 'build' && c.args.startsWith(`/app/${path} `))).toBe(true);
      }
      expect(argsOf(keyword(runtime, 'ENV')[0])).toMatch(/WIZ_NATS_AUTOSTART=false/);
    });

    it('has a HEALTHCHECK that fetches /health with node', () => {
      expect(argsOf(keyword(runtime, 'HEALTHCHECK')[0])).toMatch(/CMD \["node", "-e", .*fetch\(.*\/health'\)/);
    });

    it('defaults to the combined server entry, which exists', () => {
      const argv = list(JSON.parse(argsOf(keyword(runtime, 'CMD').pop())), 'CMD').map((a) => str(a, 'CMD'));
      expect(entryOf(argv)).toBe('dist/apps/server/src/main.js');
      expectEntrySourceExists(argv);
    });

    it('keeps build outputs, data and git out of the build context', () => {
      const ignored = read('.dockerignore')
        .split('\n')
        .map((l) => l.trim());
      expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', 'data', '.git', '.env']));
    });
  });
  describe('docker-compose.yml', () => {
    const compose = obj(parse(read('docker-compose.yml'), { merge: true }), 'compose');
    const services = obj(compose.services, 'services');
    const service = (name: string): Obj => obj(services[name], `services.${name}`);
    const env = (name: string): Record<string, string> => {
      const raw = service(name).environment;
      const pairs = Array.isArray(raw)
        ? raw.map((e) => str(e, `${name}.environment`).split(/=(.*)/s, 2))
        : Object.entries(obj(raw, `${name}.environment`));
      return Object.fromEntries(pairs.map(([k, v]) => [k, String(v ?? '')]));
    };
    const argv = (name: string): string[] =>
      list(service(name).command, `${name}.command`).map((a) => str(a, `${name}.command`));
    const published = (name: string): Array<{ host: string; container: string }> =>
      list(service(name).ports ?? [], `${name}.ports`).map((p) => {
        if (typeof p === 'object' && p !== null) {
          const o = p as Obj;
          return { host: String(o.published), container: String(o.target) };
        }
        const parts = String(p).split(':');
        return { host: parts[parts.length - 2] ?? '', container: parts[parts.length - 1] };
      });
    const hostOf = (url: string): string => new URL(url.replace(/\$\{[^}]*\}/g, 'x')).hostname;

    it('passes the Compose specification schema and dclint', () => {
      // Ordering rules are style only; every correctness and security rule stays on.
      const styleOnly = [
        'service-keys-order',
        'services-alphabetical-order',
        'top-level-properties-order',
        'service-dependencies-alphabetical-order',
        'service-ports-alphabetical-order',
      ];
      const sut = new DCLinter({
        rules: Object.fromEntries(styleOnly.map((r) => [r, 0])),
        quiet: true,
        debug: false,
        exclude: [],
      });
      const [report] = sut.lintFiles([join(root, 'docker-compose.yml')], false);
      expect(report.messages.map((m) => `${m.rule}: ${m.message}`)).toEqual([]);
    });

    it('has the services, with fake-llm only in the demo profile and the NATS cluster in the cluster one', () => {
      expect(Object.keys(services).sort()).toEqual([
        'fake-llm',
        'gateway',
        'gateway-cluster',
        'nats',
        'nats-1',
        'nats-2',
        'nats-3',
        'postgres',
        'runtime',
        'runtime-cluster',
      ]);
      expect(service('fake-llm').profiles).toEqual(['demo']);
      for (const name of ['nats-1', 'nats-2', 'nats-3', 'gateway-cluster', 'runtime-cluster'])
        expect({ name, profiles: service(name).profiles }).toEqual({ name, profiles: ['cluster'] });
      for (const name of ['nats', 'postgres', 'gateway', 'runtime']) expect(service(name).profiles).toBeUndefined();
    });

    it('runs NATS with JetStream on a persistent volume, usable alone', () => {
      const cmd = argv('nats');
      expect(service('nats').image).toBe('nats:2.9-alpine');
      expect(cmd.some((a) => a === '-js' || a === '--jetstream')).toBe(true);
      const storeDir = cmd[cmd.findIndex((a) => a === '-sd' || a === '--store_dir') + 1];
      expect(storeDir).toBe('/data');
      const mounts = list(service('nats').volumes, 'nats.volumes').map((v) => str(v, 'nats.volumes').split(':'));
      const store = mounts.find(([, target]) => target === storeDir);
      expect(store).toBeDefined();
      expect(Object.keys(obj(compose.volumes, 'volumes'))).toContain(store?.[0]);
      expect(published('nats')).toContainEqual({ host: '4222', container: '4222' });
      expect(service('nats').depends_on).toBeUndefined();
    });

    it('publishes the gateway on 8080', () => {
      expect(published('gateway')).toContainEqual({ host: '8080', container: '8080' });
    });

    describe('cluster profile', () => {
      const nodes = ['nats-1', 'nats-2', 'nats-3'];
      // `--flag value` pairs of a nats-server command line.
      const flag = (cmd: string[], ...names: string[]): string | undefined => {
        const i = cmd.findIndex((a) => names.includes(a));
        return i >= 0 ? cmd[i + 1] : undefined;
      };

      it('runs three JetStream NATS servers, each with its own store volume and name', () => {
        const volumes = Object.keys(obj(compose.volumes, 'volumes'));
        const stores = nodes.map((name) => {
          const cmd = argv(name);
          expect(service(name).image).toBe(service('nats').image);
          expect(cmd.some((a) => a === '-js' || a === '--jetstream')).toBe(true);
          expect(flag(cmd, '-n', '--name', '--server_name')).toBe(name);
          const dir = flag(cmd, '-sd', '--store_dir');
          const mount = list(service(name).volumes, `${name}.volumes`)
            .map((v) => str(v, 'volume').split(':'))
            .find(([, target]) => target === dir);
          expect({ name, volume: volumes.includes(mount?.[0] ?? '') }).toEqual({ name, volume: true });
          expect(obj(service(name).healthcheck, `${name}.healthcheck`).test).toEqual(
            obj(service('nats').healthcheck, 'nats.healthcheck').test,
          );
          return mount?.[0];
        });
        expect(new Set(stores).size).toBe(3);
      });

      it('routes every node to the others in one named cluster', () => {
        const clusterNames = new Set(nodes.map((name) => flag(argv(name), '--cluster_name')));
        expect(clusterNames.size).toBe(1);
        expect([...clusterNames][0]).toMatch(/^\w+$/);
        for (const name of nodes) {
          const cmd = argv(name);
          const listen = new URL(str(flag(cmd, '--cluster'), `${name} --cluster`));
          const routes = str(flag(cmd, '--routes'), `${name} --routes`)
            .split(',')
            .map((r) => new URL(r.trim()));
          // Every node is reachable on the port each one listens on for routes (a route to itself is ignored).
          expect(routes.map((r) => r.hostname).sort()).toEqual(nodes);
          for (const r of routes) expect(r.port).toBe(listen.port);
        }
      });

      it('runs a gateway and runtimes on Postgres and every node, with R3 streams', () => {
        for (const name of ['gateway-cluster', 'runtime-cluster']) {
          const e = env(name);
          expect(e.WIZ_JETSTREAM_REPLICAS).toBe('3');
          expect(
            e.NATS_URL.split(',')
              .map((u) => hostOf(u.trim()))
              .sort(),
          ).toEqual(nodes);
          expect(hostOf(e.DATABASE_URL)).toBe('postgres');
          // Its own installation: not the default stack's database schema.
          expect(e.WIZ_DB_SCHEMA).not.toBe(env('gateway').WIZ_DB_SCHEMA);
          const deps = obj(service(name).depends_on, `${name}.depends_on`);
          expect(Object.keys(deps).sort()).toEqual([...nodes, 'postgres']);
          for (const cond of Object.values(deps)) expect(obj(cond, 'dep').condition).toBe('service_healthy');
        }
        expect(env('runtime-cluster')).toEqual(env('gateway-cluster'));
        expect(argv('gateway-cluster')).toEqual(argv('gateway'));
        expect(argv('runtime-cluster')).toEqual(argv('runtime'));
        expect(obj(service('runtime-cluster').deploy, 'deploy').replicas).toBeGreaterThanOrEqual(2);
        expect(published('gateway-cluster')).toEqual([{ host: '8081', container: '8080' }]);
      });
    });

    it('configures gateway and runtime identically for the bus and the database', () => {
      const gateway = env('gateway');
      const runtime = env('runtime');
      const required = [
        'NATS_URL',
        'DATABASE_URL',
        'WIZ_BUS_PREFIX',
        'OPENAI_BASE_URL',
        'OPENAI_API_KEY',
        'WIZ_NATS_AUTOSTART',
        'WIZ_SECRET_KEY',
      ];
      for (const e of [gateway, runtime]) expect(Object.keys(e)).toEqual(expect.arrayContaining(required));
      for (const key of ['NATS_URL', 'DATABASE_URL', 'WIZ_BUS_PREFIX', 'WIZ_SECRET_KEY'])
        expect(runtime[key]).toBe(gateway[key]);
      expect(gateway.WIZ_NATS_AUTOSTART).toBe('false');
      expect(hostOf(gateway.NATS_URL)).toBe('nats');
      expect(gateway.DATABASE_URL).toMatch(/^postgres:\/\//);
      expect(hostOf(gateway.DATABASE_URL)).toBe('postgres');
    });

    it('takes OPENAI_API_KEY and WIZ_SECRET_KEY from the host and holds no literal secret', () => {
      for (const name of ['gateway', 'runtime', 'gateway-cluster', 'runtime-cluster']) {
        expect(env(name).OPENAI_API_KEY).toMatch(/^\$\{OPENAI_API_KEY(:?-)?\}$/);
        // On Postgres the apps refuse to start without it (libs/config): it must reach them.
        expect(env(name).DATABASE_URL).toMatch(/^postgres:\/\//);
        expect(env(name).WIZ_SECRET_KEY).toMatch(/^\$\{WIZ_SECRET_KEY(:?-)?\}$/);
      }
      for (const name of Object.keys(services)) {
        for (const [key, value] of Object.entries(service(name).environment ? env(name) : {})) {
          if (/KEY|TOKEN|SECRET|PASSWORD/.test(key))
            expect({ key, value }).toEqual({ key, value: expect.stringMatching(/^\$\{\w+(:?-[^}]*)?\}$/) });
          expect({ key, value }).toEqual({ key, value: expect.not.stringMatching(/\bsk-[A-Za-z0-9_-]{8,}/) });
        }
      }
    });

    it('starts the apps only after healthy dependencies', () => {
      for (const name of ['nats', 'postgres']) {
        expect(list(obj(service(name).healthcheck, `${name}.healthcheck`).test, 'test').length).toBeGreaterThan(1);
      }
      for (const name of ['gateway', 'runtime']) {
        const deps = obj(service(name).depends_on, `${name}.depends_on`);
        expect(Object.keys(deps).sort()).toEqual(['nats', 'postgres']);
        for (const [dep, cond] of Object.entries(deps)) {
          expect(obj(cond, dep).condition).toBe('service_healthy');
          expect(service(dep).healthcheck).toBeDefined();
        }
      }
    });

    it('builds every app service from deploy/Dockerfile and runs real entrypoints', () => {
      for (const name of ['gateway', 'runtime', 'fake-llm', 'gateway-cluster', 'runtime-cluster']) {
        const build = obj(service(name).build, `${name}.build`);
        expect(existsSync(join(root, str(build.context, 'context'), str(build.dockerfile, 'dockerfile')))).toBe(true);
        expectEntrySourceExists(argv(name));
      }
      expect(entryOf(argv('gateway'))).toBe('dist/apps/gateway/src/main.js');
      expect(entryOf(argv('runtime'))).toBe('dist/apps/runtime/src/main.js');
      expect(argv('fake-llm')).toEqual([
        'node',
        'dist/apps/fake-llm/src/main.js',
        '--port',
        '8090',
        '--host',
        '0.0.0.0',
      ]);
    });
  });

  describe('k8s', () => {
    const base = join(root, 'k8s', 'base');
    const overlay = join(root, 'k8s', 'overlays', 'production');
    const yamlFiles = (dir: string): string[] =>
      readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort();
    const docsOf = (dir: string, file: string): Obj[] =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d, i) => {
        if (d.errors.length > 0) throw new Error(`${file}#${i}: ${d.errors[0].message}`);
        return obj(d.toJS(), `${file}#${i}`);
      });
    const files = yamlFiles(base);
    const kustomization = docsOf(base, 'kustomization.yaml')[0];
    // The ConfigMap kustomize generates from the literals (its name gets a content hash).
    const [generator] = list(kustomization.configMapGenerator, 'configMapGenerator').map((g) => obj(g, 'generator'));
    const configMap: Obj = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: generator.name },
      data: Object.fromEntries(
        list(generator.literals, 'literals').map((l) => str(l, 'literal').split(/=(.*)/s, 2) as [string, string]),
      ),
    };
    const manifests = [
      ...files
        .filter((f) => f !== 'kustomization.yaml')
        .flatMap((file) => docsOf(base, file).map((doc) => ({ file, doc }))),
      { file: 'kustomization.yaml#configMapGenerator', doc: configMap },
    ];
    const resources = list(kustomization.resources, 'resources').map((r) => str(r, 'resources'));
    const nameOf = (doc: Obj): string => str(obj(doc.metadata, 'metadata').name, 'metadata.name');
    const find = (kind: string, name?: string): Obj[] =>
      manifests.map((m) => m.doc).filter((d) => d.kind === kind && (!name || nameOf(d) === name));
    const one = (kind: string, name: string): Obj => {
      const [doc] = find(kind, name);
      if (!doc) throw new Error(`no ${kind} ${name}`);
      return doc;
    };

    // The constructor parameter is typed per kind; validate() checks the real object against its schema.
    const models: Record<string, new (data: never) => { validate(): void }> = {
      'v1/Namespace': Namespace,
      'v1/ConfigMap': ConfigMap,
      'v1/Secret': Secret,
      'v1/Service': Service,
      'apps/v1/Deployment': Deployment,
      'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
      'v1/ServiceAccount': ServiceAccount,
      'v1/PersistentVolumeClaim': PersistentVolumeClaim,
      'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
      'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
      'keda.sh/v1alpha1/ScaledObject': ScaledObject,
    };
    const validate = (file: string, doc: Obj): void => {
      const Model = models[`${String(doc.apiVersion)}/${String(doc.kind)}`];
      expect({ file, kind: doc.kind, known: Model !== undefined }).toEqual({ file, kind: doc.kind, known: true });
      expect(() => new Model(doc as never).validate()).not.toThrow();
    };

    it('has only objects of known kinds that pass the Kubernetes schema', () => {
      expect(manifests.length).toBeGreaterThanOrEqual(12);
      for (const { file, doc } of manifests) validate(file, doc);
    });

    describe('strict schema (unknown fields rejected)', () => {
      const deployment = (): Obj => structuredClone(one('Deployment', 'wiz-runtime'));
      const firstContainer = (d: Obj): Obj =>
        obj(list(obj(obj(obj(d.spec, 'spec').template, 'template').spec, 'pod').containers, 'containers')[0], 'c');

      it('knows a schema for every kind of the manifests', () => {
        expect(knownKinds()).toEqual(expect.arrayContaining(Object.keys(models)));
      });

      it('passes every manifest of the base', () => {
        expect(schemaErrors(manifests.map(({ file, doc }) => ({ where: file, doc })))).toEqual([]);
      });

      it('rejects a misspelt field that validate() of kubernetes-models lets through', () => {
        const sut = deployment();
        const container = firstContainer(sut);
        container.imagePullPolcy = container.imagePullPolicy ?? 'Always';
        delete container.imagePullPolicy;
        // The reason for the strict check: the library's validator accepts it.
        expect(() => new Deployment(sut as never).validate()).not.toThrow();
        const errors = schemaErrors([{ where: 'runtime.yaml', doc: sut }]);
        expect(errors).toEqual([
          expect.stringMatching(/^runtime\.yaml \(Deployment wiz-runtime\): .*'imagePullPolcy'/),
        ]);
      });

      it('rejects unknown fields at any depth, wrong enum values and unknown kinds', () => {
        const inMetadata = deployment();
        obj(inMetadata.metadata, 'metadata').lables = { a: 'b' };
        const inProbe = deployment();
        obj(firstContainer(inProbe).readinessProbe, 'probe').httpGett = { path: '/readyz', port: 8080 };
        const badEnum = deployment();
        firstContainer(badEnum).imagePullPolicy = 'Sometimes';
        const unknownKind = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
        const errors = schemaErrors([
          { where: 'a', doc: inMetadata },
          { where: 'b', doc: inProbe },
          { where: 'c', doc: badEnum },
          { where: 'd', doc: unknownKind },
        ]);
        expect(errors).toEqual([
          expect.stringMatching(/^a \(Deployment wiz-runtime\): .*'lables'/),
          expect.stringMatching(/^b \(Deployment wiz-runtime\): .*'httpGett'/),
          expect.stringMatching(/^c \(Deployment wiz-runtime\): .*"Sometimes"/),
          expect.stringMatching(/^d \(Widget w\): no schema for example\.com\/v1\/Widget/),
        ]);
      });
    });

    it('has a kustomization listing every manifest but the secret example', () => {
      expect(kustomization).toMatchObject({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: 'wiz',
      });
      for (const r of resources) expect({ r, exists: existsSync(join(base, r)) }).toEqual({ r, exists: true });
      const expected = files.filter((f) => f !== 'kustomization.yaml' && !f.includes('example'));
      expect([...resources].sort()).toEqual(expected);
      expect(resources).not.toContain('secret.example.yaml');
      expect(nameOf(one('Namespace', 'wiz'))).toBe('wiz');
    });

    it('keeps secrets out of the ConfigMap and placeholders in the secret example', () => {
      const data = obj(configMap.data, 'ConfigMap.data');
      expect(data).toMatchObject({ WIZ_NATS_AUTOSTART: 'false', PORT: '8080' });
      expect(Object.keys(data)).toEqual(expect.arrayContaining(['NATS_URL', 'WIZ_BUS_PREFIX', 'OPENAI_BASE_URL']));
      expect(data).not.toHaveProperty('OPENAI_API_KEY');
      expect(data).not.toHaveProperty('DATABASE_URL');
      expect(data).not.toHaveProperty('WIZ_ADMIN_KEY');
      const secrets = docsOf(base, 'secret.example.yaml');
      const keysOf = (name: string): Obj =>
        obj(secrets.find((d) => nameOf(d) === name)?.stringData, `${name}.stringData`);
      expect(Object.keys(keysOf('wiz-gateway-secrets')).sort()).toEqual([
        'DATABASE_URL',
        'WIZ_ADMIN_KEY',
        'WIZ_SECRET_KEY',
      ]);
      expect(Object.keys(keysOf('wiz-runtime-secrets')).sort()).toEqual([
        'DATABASE_URL',
        'OPENAI_API_KEY',
        'WIZ_SECRET_KEY',
      ]);
      for (const secret of secrets.map((d) => obj(d.stringData, 'stringData'))) {
        for (const value of Object.values(secret)) expect(value).toMatch(/replace-me/);
        expect(str(secret.DATABASE_URL, 'DATABASE_URL')).toMatch(/^postgres:\/\//);
      }
    });

    it('keeps the runtime off the metadata endpoint and the private ranges, DNS and NATS allowed', () => {
      const policy = obj(one('NetworkPolicy', 'wiz-runtime-egress').spec, 'spec');
      expect(policy.policyTypes).toEqual(['Egress']);
      const blocks = list(policy.egress, 'egress')
        .flatMap((r) => list(obj(r, 'rule').to, 'to'))
        .map((t) => obj(t, 'to').ipBlock)
        .filter(Boolean)
        .map((b) => obj(b, 'ipBlock'));
      expect(blocks).toEqual([
        {
          cidr: '0.0.0.0/0',
          except: expect.arrayContaining(['169.254.169.254/32', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
        },
      ]);
    });

    describe.each([
      ['wiz-gateway', 'dist/apps/gateway/src/main.js', 2],
      ['wiz-runtime', 'dist/apps/runtime/src/main.js', 2],
    ])('Deployment %s', (name, entry, replicas) => {
      const deployment = one('Deployment', name);
      const spec = obj(deployment.spec, 'spec');
      const template = obj(spec.template, 'template');
      const podSpec = obj(template.spec, 'template.spec');
      const [container] = list(podSpec.containers, 'containers').map((c) => obj(c, 'container'));
      const ports = list(container.ports, 'ports').map((p) => obj(p, 'port'));
      const portNumber = (port: unknown): unknown =>
        typeof port === 'string' ? ports.find((p) => p.name === port)?.containerPort : port;

      it(`runs ${replicas} replica(s) whose selector matches the pod labels`, () => {
        expect(spec.replicas).toBe(replicas);
        expect(obj(template.metadata, 'template.metadata').labels).toMatchObject(
          obj(obj(spec.selector, 'selector').matchLabels, 'matchLabels'),
        );
      });

      it('runs the real entrypoint', () => {
        const argv = [...list(container.command, 'command'), ...list(container.args ?? [], 'args')].map((a) =>
          str(a, 'command'),
        );
        expect(entryOf(argv)).toBe(entry);
        expectEntrySourceExists(argv);
      });

      it('reads its env from the generated ConfigMap and its own Secret', () => {
        const refs = list(container.envFrom, 'envFrom').map((e) => obj(e, 'envFrom'));
        const configMapName = str(
          obj(refs.find((r) => r.configMapRef)?.configMapRef, 'configMapRef').name,
          'configMapRef.name',
        );
        const secret = str(obj(refs.find((r) => r.secretRef)?.secretRef, 'secretRef.name').name, 'secretRef.name');
        expect(configMapName).toBe(generator.name);
        expect(secret).toBe(`${name}-secrets`);
        expect(docsOf(base, 'secret.example.yaml').map(nameOf)).toContain(secret);
      });

      it('gets an environment Wiz accepts, WIZ_SECRET_KEY beside DATABASE_URL', () => {
        const secret = docsOf(base, 'secret.example.yaml').find((d) => nameOf(d) === `${name}-secrets`);
        const podEnv = {
          ...(obj(configMap.data, 'data') as Record<string, string>),
          ...(obj(secret?.stringData, 'stringData') as Record<string, string>),
        };
        expect(podEnv.DATABASE_URL).toMatch(/^postgres:\/\//);
        expect(() => parseConfig(podEnv)).not.toThrow();
        const { WIZ_SECRET_KEY: _dropped, ...withoutKey } = podEnv;
        expect(() => parseConfig(withoutKey)).toThrow(/WIZ_SECRET_KEY: required when DATABASE_URL is set/);
      });

      it('runs as its own service account, with no API token mounted', () => {
        expect(podSpec).toMatchObject({ serviceAccountName: name, automountServiceAccountToken: false });
        expect(one('ServiceAccount', name).automountServiceAccountToken).toBe(false);
      });

      it('spreads its replicas over zones and nodes', () => {
        const labels = obj(obj(template.metadata, 'template.metadata').labels, 'labels');
        const spread = list(podSpec.topologySpreadConstraints, 'topologySpreadConstraints').map((c) => obj(c, 'c'));
        expect(spread.map((c) => c.topologyKey).sort()).toEqual([
          'kubernetes.io/hostname',
          'topology.kubernetes.io/zone',
        ]);
        for (const c of spread) expect(labels).toMatchObject(obj(obj(c.labelSelector, 'sel').matchLabels, 'ml'));
      });

      it('has an HPA on CPU', () => {
        const hpa = obj(one('HorizontalPodAutoscaler', name).spec, 'hpa.spec');
        expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      });

      it('probes /readyz, /livez and /startupz on the port the app listens on', () => {
        const port = Number(obj(configMap.data, 'data').PORT);
        const paths = { readinessProbe: '/readyz', livenessProbe: '/livez', startupProbe: '/startupz' };
        for (const [probe, path] of Object.entries(paths)) {
          const httpGet = obj(obj(container[probe], probe).httpGet, `${probe}.httpGet`);
          expect({ probe, path: httpGet.path, port: portNumber(httpGet.port) }).toEqual({ probe, path, port });
        }
      });

      it('has a PodDisruptionBudget selecting its pods', () => {
        const labels = obj(obj(template.metadata, 'template.metadata').labels, 'labels');
        const pdb = obj(one('PodDisruptionBudget', name).spec, 'pdb.spec');
        expect(labels).toMatchObject(obj(obj(pdb.selector, 'selector').matchLabels, 'matchLabels'));
      });

      it('sets resource requests and limits and runs as non-root', () => {
        const resources = obj(container.resources, 'resources');
        for (const kind of ['requests', 'limits'])
          expect(Object.keys(obj(resources[kind], kind)).sort()).toEqual(['cpu', 'memory']);
        expect(obj(podSpec.securityContext, 'securityContext').runAsNonRoot).toBe(true);
      });

      it('uses an image the kustomization pins', () => {
        const images = list(kustomization.images, 'images').map((i) => obj(i, 'image'));
        expect(images.map((i) => i.name)).toContain(str(container.image, 'image').split(':')[0]);
      });
    });

    it('exposes the gateway pods through a Service on their http port', () => {
      const service = obj(one('Service', 'wiz-gateway').spec, 'Service.spec');
      const podLabels = obj(
        obj(obj(obj(one('Deployment', 'wiz-gateway').spec, 'spec').template, 'template').metadata, 'metadata').labels,
        'labels',
      );
      expect(podLabels).toMatchObject(obj(service.selector, 'selector'));
      const [port] = list(service.ports, 'ports').map((p) => obj(p, 'port'));
      expect(port).toMatchObject({ port: 8080, targetPort: 'http' });
    });

    it("mounts the agents' workspaces on the runtime from a ReadWriteMany claim", () => {
      const claim = obj(one('PersistentVolumeClaim', 'wiz-workspaces').spec, 'pvc.spec');
      expect(claim.accessModes).toEqual(['ReadWriteMany']);
      const pod = obj(obj(obj(one('Deployment', 'wiz-runtime').spec, 'spec').template, 'template').spec, 'pod');
      const volume = list(pod.volumes, 'volumes')
        .map((v) => obj(v, 'volume'))
        .find((v) => v.persistentVolumeClaim);
      expect(volume).toMatchObject({ persistentVolumeClaim: { claimName: 'wiz-workspaces' } });
      const [container] = list(pod.containers, 'containers').map((c) => obj(c, 'container'));
      const mount = list(container.volumeMounts, 'mounts')
        .map((m) => obj(m, 'mount'))
        .find((m) => m.name === volume?.name);
      expect(mount?.mountPath).toBe(obj(configMap.data, 'data').WIZ_WORKSPACE_DIR);
    });

    describe('production overlay', () => {
      const k = docsOf(overlay, 'kustomization.yaml')[0];
      const overlayResources = list(k.resources, 'resources').map((r) => str(r, 'resources'));
      const patches = list(k.patches, 'patches').map((p) => str(obj(p, 'patch').path, 'patch.path'));

      it('builds on the base and lists only files that exist', () => {
        expect(overlayResources).toContain('../../base');
        for (const f of [...overlayResources, ...patches])
          expect({ f, exists: existsSync(join(overlay, f)) }).toEqual({ f, exists: true });
        expect(
          [...overlayResources.filter((r) => !r.startsWith('..')), ...patches, 'kustomization.yaml'].sort(),
        ).toEqual(yamlFiles(overlay));
      });

      it('patches only objects of the base, with fields of their kinds', () => {
        for (const file of patches) {
          for (const patch of docsOf(overlay, file)) {
            const target = one(str(patch.kind, 'kind'), nameOf(patch));
            expect(target.apiVersion).toBe(patch.apiVersion);
            if (patch.$patch === 'delete') continue;
            // A strategic merge patch is a partial object: merged onto its target, it still validates.
            validate(file, merge(target, patch));
            expect(schemaErrors([{ where: file, doc: merge(target, patch) }])).toEqual([]);
          }
        }
        const merged = list(k.configMapGenerator, 'generator').map((g) => obj(g, 'g'));
        expect(merged).toEqual([expect.objectContaining({ name: generator.name, behavior: 'merge' })]);
      });

      it('scales the runtime with KEDA on the queue depth and age (Prometheus), with a fallback', () => {
        const scaled = docsOf(overlay, 'scaledobject.yaml')[0];
        expect(scaled).toMatchObject({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject' });
        // Against KEDA's CRD schema (as @kubernetes-models/keda ships it), unknown fields rejected.
        validate('scaledobject.yaml', scaled);
        expect(schemaErrors([{ where: 'scaledobject.yaml', doc: scaled }])).toEqual([]);
        const typo = structuredClone(scaled);
        obj(obj(typo.spec, 'spec').fallback, 'fallback').replica = 4;
        expect(schemaErrors([{ where: 'scaledobject.yaml', doc: typo }])).toEqual([expect.stringMatching(/'replica'/)]);
        const spec = obj(scaled.spec, 'spec');
        expect(spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'wiz-runtime' });
        expect(one('Deployment', 'wiz-runtime')).toBeDefined();
        expect(obj(spec.fallback, 'fallback')).toMatchObject({
          failureThreshold: expect.any(Number),
          replicas: expect.any(Number),
        });
        const triggers = list(spec.triggers, 'triggers').map((t) => obj(t, 'trigger'));
        expect(triggers.map((t) => t.type)).toEqual(['prometheus', 'prometheus']);
        const queries = triggers.map((t) => str(obj(t.metadata, 'metadata').query, 'query'));
        expect(queries.join(' ')).toMatch(/wiz_queue_depth/);
        expect(queries.join(' ')).toMatch(/wiz_queue_oldest_job_age_seconds/);
        for (const t of triggers) expect(Number(obj(t.metadata, 'metadata').threshold)).toBeGreaterThan(0);
        // KEDA owns the runtime's HPA: the base's CPU one is deleted here.
        const deleted = patches.flatMap((f) => docsOf(overlay, f)).filter((p) => p.$patch === 'delete');
        expect(deleted.map((d) => `${String(d.kind)}/${nameOf(d)}`)).toEqual(['HorizontalPodAutoscaler/wiz-runtime']);
      });
    });
  });
});

// Strategic merge, enough for these patches: mappings merge, lists of named items (or of
// topology constraints) merge by that key, other values are replaced.
function merge(target: unknown, patch: unknown): Obj {
  return mergeValue(target, patch) as Obj;
}
function mergeValue(target: unknown, patch: unknown): unknown {
  if (Array.isArray(target) && Array.isArray(patch)) {
    const keyOf = (item: unknown): string | undefined => {
      const o = item as Obj;
      return typeof o?.name === 'string' ? o.name : typeof o?.topologyKey === 'string' ? o.topologyKey : undefined;
    };
    if (!patch.every((p) => keyOf(p) !== undefined)) return patch;
    const out = [...target];
    for (const p of patch) {
      const i = out.findIndex((t) => keyOf(t) === keyOf(p));
      if (i >= 0) out[i] = mergeValue(out[i], p);
      else out.push(p);
    }
    return out;
  }
  if (typeof target === 'object' && target && typeof patch === 'object' && patch && !Array.isArray(patch)) {
    const out: Obj = { ...(target as Obj) };
    for (const [key, value] of Object.entries(patch as Obj)) out[key] = mergeValue(out[key], value);
    return out;
  }
  return patch;
}
