"""Tests of the operability layer: rules, alerts, dashboards, Alertmanager, compose, contract."""
