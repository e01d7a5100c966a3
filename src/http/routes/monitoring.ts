import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MonitoringReportSchema, type MonitoringReport } from '../../monitoring/report.js';
import { refuseWhenMonitorOff } from '../monitor-off.js';
import { ErrorBody } from '../schemas.js';

/** What the route reads (src/monitoring/monitor.ts implements it). */
export interface MonitorView {
  report(): MonitoringReport;
}

/** The query string: an optional feature, one of those monitored; nothing else. */
function monitoringQuerySchema(features: readonly string[]) {
  return Type.Object(
    {
      feature: Type.Optional(
        features.length > 0
          ? Type.String({
              enum: [...features],
              description: `Only this feature in \`features\`: one of ${features.join(', ')}.`,
            })
          : Type.String(),
      ),
    },
    { additionalProperties: false },
  );
}
type MonitoringQuery = Static<ReturnType<typeof monitoringQuerySchema>>;

/**
 * `GET /monitoring`: this replica's monitor, as JSON: the reference in use, the live window,
 * every feature's drift statistic against its thresholds and its status, the overall status
 * and live accuracy (src/monitoring/report.ts documents each field). Reading it records
 * nothing (it evaluates the window when texts arrived since the last evaluation, as traffic
 * does every few dozen texts). `?feature=` keeps one feature; an unknown parameter or
 * feature is a 422 in the `detail` shape. The fleet-wide view is Prometheus's (the recording
 * rules over every replica's /metrics). With MONITOR=0: 404 `monitor_off`.
 */
export function monitoringRoute(
  app: FastifyInstance,
  watched: { readonly monitor: MonitorView; readonly features: readonly string[] } | undefined,
): void {
  const monitor = watched?.monitor;
  const features = watched?.features ?? [];
  app.get<{ Querystring: MonitoringQuery }>(
    '/monitoring',
    {
      preValidation: refuseWhenMonitorOff(monitor),
      schema: {
        summary: 'Drift per feature, live accuracy and the overall status of this replica',
        tags: ['monitoring'],
        querystring: monitoringQuerySchema(features),
        response: {
          200: MonitoringReportSchema,
          404: { ...ErrorBody, description: 'The monitor is off (`monitor_off`)' },
          422: { ...ErrorBody, description: 'An unknown query parameter or feature' },
        },
      },
    },
    async (request) => {
      const report = (monitor as MonitorView).report();
      const only = request.query.feature;
      return only === undefined
        ? report
        : { ...report, features: report.features.filter((feature) => feature.name === only) };
    },
  );
}
