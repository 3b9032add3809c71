package registry_test

import (
	"testing"

	"github.com/selfchain/selfchain/x/registry"
)

// FuzzMsgRegisterNodeValidateBasic: no input panics validation, and an accepted
// endpoint set is within its bounds.
func FuzzMsgRegisterNodeValidateBasic(f *testing.F) {
	f.Add("node.example.com:26656", "/ip4/1.2.3.4/tcp/1/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", "eu-west", "v1", "llama")
	f.Add("[::1]:80", "/dns4/a.b/udp/9/quic-v1", "", "", "")
	f.Add("1.2.3.4:65536", "/ip6/::1/tcp/0", "a", "b", "c")
	f.Fuzz(func(t *testing.T, ep1, ep2, region, version, model string) {
		m := regMsg(alice, 1)
		m.Endpoints = []string{ep1, ep2}
		m.Region, m.Version = region, version
		m.Capabilities.Models = []string{model}
		if err := m.ValidateBasic(); err == nil {
			for _, ep := range m.Endpoints {
				if len(ep) > registry.MaxEndpointLen || ep == "" {
					t.Fatalf("accepted endpoint %q", ep)
				}
			}
		}
	})
}

// FuzzMsgHeartbeat: no encoded MsgHeartbeat panics decoding or validation; an
// accepted one is signed by its node_signer when set, else by its owner, and
// re-encodes to a message that decodes the same.
func FuzzMsgHeartbeat(f *testing.F) {
	for _, m := range []*registry.MsgHeartbeat{
		{Owner: alice.String(), NodeId: registry.NodeID(signingKey(1))},
		{Owner: alice.String(), NodeId: registry.NodeID(signingKey(1)), NodeSigner: bob.String()},
		{Owner: alice.String(), NodeSigner: "self1xyz"},
	} {
		bz, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz)
	}
	f.Fuzz(func(t *testing.T, bz []byte) {
		var m registry.MsgHeartbeat
		if m.Unmarshal(bz) != nil || m.ValidateBasic() != nil {
			return
		}
		want := m.Owner
		if m.NodeSigner != "" {
			want = m.NodeSigner
		}
		if m.Signer() != want {
			t.Fatalf("signer %q, want %q", m.Signer(), want)
		}
		again, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var m2 registry.MsgHeartbeat
		if err := m2.Unmarshal(again); err != nil || m2.Owner != m.Owner || m2.NodeId != m.NodeId || m2.NodeSigner != m.NodeSigner {
			t.Fatalf("round trip: %+v %v", m2, err)
		}
	})
}
