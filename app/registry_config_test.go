package app

import (
	"strings"
	"testing"
)

// [registry] auto_heartbeat is off by default, and on it needs an operator key and a
// positive interval; the written app.toml reads back to the same settings.
func TestRegistryHeartbeatConfig(t *testing.T) {
	c := DefaultConfig()
	if c.Registry.AutoHeartbeat {
		t.Fatal("auto_heartbeat must be off by default")
	}
	c.Registry.AutoHeartbeat = true
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "registry.operator_key") {
		t.Fatalf("want an operator_key error, got %v", err)
	}
	c.Registry.OperatorKey = "op"
	c.Registry.HeartbeatInterval = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "heartbeat_interval") {
		t.Fatalf("want a heartbeat_interval error, got %v", err)
	}
	c.Registry.HeartbeatInterval = 7
	c.Registry.NodeID = "00112233445566778899aabbccddeeff00112233"
	home := t.TempDir()
	if err := WriteConfig(home, c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if got.Registry != c.Registry {
		t.Fatalf("round trip: %+v, want %+v", got.Registry, c.Registry)
	}
}
