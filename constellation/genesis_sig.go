package constellation

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/privval"

	"github.com/selfchain/selfchain/server"
)

// GenesisSigsFile holds each validator's signature of the chain's genesis.
const GenesisSigsFile = "genesis.sigs.json"

// genesisSignDomain separates these signatures from anything else a consensus
// key signs (votes and proposals are CometBFT's own canonical encodings).
const genesisSignDomain = "selfchain/constellation/genesis/v1\n"

// GenesisSignatures is genesis.sigs.json: "a genesis every validator signed"
// means each validator's consensus key signed
//
//	"selfchain/constellation/genesis/v1\n" || chain_id || "\n" || hex(sha256(genesis.json bytes))
//
// and `up` refuses to start a chain unless every node's genesis.json is that
// exact file and every genesis validator's signature verifies.
type GenesisSignatures struct {
	ChainID       string             `json:"chain_id"`
	GenesisSHA256 string             `json:"genesis_sha256"`
	Signatures    []GenesisSignature `json:"signatures"`
}

// GenesisSignature is one validator's signature.
type GenesisSignature struct {
	Node      string          `json:"node"`
	Address   string          `json:"validator_address"`
	PubKey    json.RawMessage `json:"pub_key"`
	Signature []byte          `json:"signature"`
}

func genesisSignBytes(chainID, sum string) []byte {
	return []byte(genesisSignDomain + chainID + "\n" + sum)
}

// SignGenesis has every node in homes sign dir/genesis.json with its consensus key.
func SignGenesis(dir string, homes []string) error {
	bz, err := os.ReadFile(filepath.Join(dir, "genesis.json"))
	if err != nil {
		return err
	}
	gen, err := server.LoadGenesis(filepath.Join(dir, "genesis.json"))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(bz)
	out := GenesisSignatures{ChainID: gen.ChainID, GenesisSHA256: hex.EncodeToString(sum[:])}
	msg := genesisSignBytes(out.ChainID, out.GenesisSHA256)
	for _, home := range homes {
		kbz, err := os.ReadFile(filepath.Join(home, "config", "priv_validator_key.json"))
		if err != nil {
			return err
		}
		var key privval.FilePVKey
		if err := cmtjson.Unmarshal(kbz, &key); err != nil || key.PrivKey == nil {
			return fmt.Errorf("%s: validator key: %v", home, err)
		}
		sig, err := key.PrivKey.Sign(msg)
		if err != nil {
			return fmt.Errorf("%s: sign genesis: %w", home, err)
		}
		pub, err := cmtjson.Marshal(key.PrivKey.PubKey())
		if err != nil {
			return err
		}
		out.Signatures = append(out.Signatures, GenesisSignature{
			Node: filepath.Base(home), Address: key.PrivKey.PubKey().Address().String(), PubKey: pub, Signature: sig,
		})
	}
	js, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, GenesisSigsFile), js, 0o644)
}

// VerifyGenesis checks that every node runs the chain's genesis.json byte for
// byte and that each genesis validator signed it.
func (c *Chain) VerifyGenesis() error {
	path := filepath.Join(c.Dir, "genesis.json")
	bz, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(bz)
	want := hex.EncodeToString(sum[:])
	sbz, err := os.ReadFile(filepath.Join(c.Dir, GenesisSigsFile))
	if err != nil {
		return fmt.Errorf("genesis signatures: %w", err)
	}
	var sigs GenesisSignatures
	if err := json.Unmarshal(sbz, &sigs); err != nil {
		return fmt.Errorf("%s: %w", GenesisSigsFile, err)
	}
	if sigs.GenesisSHA256 != want {
		return fmt.Errorf("%s was changed after the validators signed it (sha256 %s, signed %s): undo the edit, or (before the first `up`) run `constellation apply %s`", path, want, sigs.GenesisSHA256, c.Spec.Name)
	}
	for i := 0; i < c.Spec.Validators; i++ {
		nbz, err := os.ReadFile(server.GenesisPath(c.NodeHome(i)))
		if err != nil {
			return fmt.Errorf("%s: %w", NodeName(i), err)
		}
		if !bytes.Equal(nbz, bz) {
			return fmt.Errorf("%s's genesis.json differs from the chain's %s: copy the chain's file back over it", NodeName(i), path)
		}
	}
	gen, err := server.LoadGenesis(path)
	if err != nil {
		return err
	}
	msg := genesisSignBytes(gen.ChainID, want)
	for _, v := range gen.Validators {
		ok := false
		for _, s := range sigs.Signatures {
			var pub cmtcrypto.PubKey
			if err := cmtjson.Unmarshal(s.PubKey, &pub); err != nil || pub == nil || !pub.Equals(v.PubKey) {
				continue
			}
			ok = pub.VerifySignature(msg, s.Signature)
			break
		}
		if !ok {
			return fmt.Errorf("genesis validator %s (%s) has no valid signature in %s: the genesis was not signed by every validator", v.Name, v.Address, GenesisSigsFile)
		}
	}
	return nil
}
