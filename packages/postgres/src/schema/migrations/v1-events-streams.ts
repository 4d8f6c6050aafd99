import type { Migration } from './migration.js';

export const migration1: Migration = {
  version: 1,
  name: 'events, streams, snapshots, checkpoints, global position',
  sql: (schema) => `
CREATE TABLE ${schema}.events (
  position bigint PRIMARY KEY,
  stream_id text NOT NULL,
  stream_type text NOT NULL,
  version integer NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  recorded_at timestamptz NOT NULL,
  CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);
CREATE INDEX events_type_position_idx ON ${schema}.events (type, position);
CREATE INDEX events_stream_type_position_idx ON ${schema}.events (stream_type, position);
CREATE TABLE ${schema}.streams (
  stream_id text PRIMARY KEY,
  stream_type text NOT NULL,
  version integer NOT NULL
);
CREATE TABLE ${schema}.snapshots (
  stream_id text PRIMARY KEY,
  stream_type text NOT NULL,
  version integer NOT NULL,
  schema_version integer NOT NULL,
  state jsonb NOT NULL,
  taken_at timestamptz NOT NULL
);
CREATE TABLE ${schema}.checkpoints (
  consumer_id text PRIMARY KEY,
  position bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${schema}.global_position (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  last bigint NOT NULL
);
INSERT INTO ${schema}.global_position (id, last) VALUES (true, 0);
`,
};
