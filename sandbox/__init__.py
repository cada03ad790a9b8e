"""The sandbox MechaMental platform: the demo's platform and the double end-to-end tests use.

A seeded generator fills SQLite (`generator`, `database`); `platform_routes` serves the platform
lists of platform-api.md through `store` with keyset cursors, behind the Bearer check and the
fault injector (`app`, `faults`, which lists every fault mode; `page_faults` and `body_faults`
carry them out); `stream` writes activity records at a steady rate through `activity`, drawn by
`events` with the latency, tokens and error codes of each pipeline's profile (`profiles`);
`control_routes` exposes the ground truth (`truth`; executions and their details per bucket in
`execution_truth` and `detail_truth`), stream settings, fault settings, request counts
(`traffic`), exact execution inserts and the renewal of the service token (`service_token`)
under `/_sandbox/`.
"""
