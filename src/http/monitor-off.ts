import type { preValidationHookHandler } from 'fastify';
import { MonitorOffError } from '../errors.js';

/**
 * The first check of the monitor's routes (/monitoring, /feedback) with the monitor off
 * (MONITOR=0, so `monitor` is undefined): 404 `monitor_off` before the input is read or
 * validated, after the access checks (onRequest) like any answer of a model route. The routes
 * stay registered, so a client is told why, not just "Not Found".
 */
export function refuseWhenMonitorOff(monitor: unknown): preValidationHookHandler {
  return async () => {
    if (monitor === undefined) throw new MonitorOffError();
  };
}
