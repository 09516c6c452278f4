import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeNag } from './nag.ts';

/** Root of this package: entries are bundled relative to it, with its lock file and tsconfig. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * ESM bundles have no `require`; some bundled CommonJS dependencies still call it for Node built-ins.
 * This banner gives them one.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** Props of {@link createNodeFunction}. */
export interface NodeFunctionProps {
  /** Handler module, relative to the project root (e.g. `lambdas/handlers/normalize.ts`); exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMiB: number;
  readonly timeout: Duration;
  /** Environment of the function, on top of `NODE_OPTIONS`. */
  readonly environment: Readonly<Record<string, string>>;
  /** Retention of the function's own log group. */
  readonly logRetention: RetentionDays;
  /** Removal policy of the function's log group. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The one factory for this project's Lambda functions: Node.js 22 on arm64, bundled to minified ESM with
 * source maps by the local esbuild, with its own log group and its own role that may write only to that
 * log group. Callers add the grants the function needs.
 *
 * The role is built here instead of letting CDK attach `AWSLambdaBasicExecutionRole`: that managed policy lets
 * the function write to any log group (cdk-nag IAM4/IAM5).
 */
export function createNodeFunction(scope: Construct, id: string, props: NodeFunctionProps): NodejsFunction {
  assertLocalEsbuild();
  const logGroup = new LogGroup(scope, `${id}LogGroup`, {
    retention: props.logRetention,
    removalPolicy: props.removalPolicy,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of ${props.description}`,
  });
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'WriteOwnLogGroup',
      effect: Effect.ALLOW,
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      // The log group ARN attribute ends in `:*`, which covers its log streams and nothing else.
      resources: [logGroup.logGroupArn],
    }),
  );
  const fn = new NodejsFunction(scope, id, {
    entry: join(PROJECT_ROOT, props.entry),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
    // Mandated by DESIGN.md: the code is developed and tested on Node 22.
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    description: props.description,
    memorySize: props.memoryMiB,
    timeout: props.timeout,
    role,
    logGroup,
    environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
    bundling: {
      format: OutputFormat.ESM,
      target: 'node22',
      // Prefer the ESM builds of dependencies (SDK v3, Powertools) so esbuild can drop what is unused.
      mainFields: ['module', 'main'],
      banner: ESM_REQUIRE_BANNER,
      minify: true,
      sourceMap: true,
      // Stack traces need the mappings only; leaving the sources out keeps the asset small.
      sourcesContent: false,
      // Ship the SDK version the code was tested with instead of whatever the runtime carries today.
      bundleAwsSDK: true,
      logLevel: LogLevel.WARNING,
      // No Docker on build machines or in CI: bundling must use the local esbuild (see assertLocalEsbuild).
      forceDockerBundling: false,
    },
  });
  acknowledgeNag(
    fn,
    'L1',
    'nodejs22.x is deliberate (DESIGN.md "Runtime"): the code is developed and tested on the pinned Node 22; ' +
      'moving to nodejs24.x means moving the toolchain and the tests with it.',
  );
  return fn;
}

/**
 * NodejsFunction silently falls back to bundling in Docker when it cannot find esbuild. Docker is not available
 * where this project builds, so fail early with the actual cause instead.
 */
function assertLocalEsbuild(): void {
  try {
    createRequire(import.meta.url).resolve('esbuild');
  } catch (cause) {
    throw new Error(
      'esbuild is not installed locally (it is a devDependency: run `npm ci`); refusing to fall back to Docker bundling',
      { cause },
    );
  }
}
