import type { EndpointSpec } from '../model/delivery-spec';

/**
 * Test data for the delivery specs: an endpoint with every field at its plain value (POST, no
 * headers, any 2xx, no errcode rule) and 100 ms timeout, with `over` applied.
 */
export const endpointSpec = (url: string, over: Partial<EndpointSpec> = {}): EndpointSpec => ({
  url,
  method: 'POST',
  headers: {},
  timeoutMs: 100,
  successStatus: [],
  errcodePath: null,
  errcodeOk: [0],
  itemResultsPath: null,
  rateGroup: null,
  recordHeaders: {},
  ...over,
});
