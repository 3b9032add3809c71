package poai

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/privval"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// GetTxCmd is `tx poai`.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "poai", Short: "Proof of AI: validators, stake, jail, rewards"}
	cmd.AddCommand(poaiCreateValidatorCmd(), poaiEditValidatorCmd(), poaiBondCmd(), poaiUnbondCmd(),
		poaiUnjailCmd(), poaiWithdrawCmd())
	return cmd
}

// ParseCommission reads a commission as a decimal fraction ("0.05") or percent
// ("5%") into parts per million, without floating point.
func ParseCommission(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	scale := uint64(PPM)
	if strings.HasSuffix(s, "%") {
		s, scale = strings.TrimSuffix(s, "%"), PPM/100
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseUint(whole, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid commission %q: want a fraction like 0.05 or a percentage like 5%%", s)
	}
	v := w * scale
	for i, div := 0, scale/10; i < len(frac); i, div = i+1, div/10 {
		d := frac[i]
		if d < '0' || d > '9' || (div == 0 && d != '0') {
			return 0, fmt.Errorf("invalid commission %q: at most 6 decimal places of a fraction", s)
		}
		v += uint64(d-'0') * div
	}
	if v > PPM {
		return 0, fmt.Errorf("commission %q is above 100%%", s)
	}
	return uint32(v), nil
}

func parseModelHash(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil || len(b) != ModelHashLen {
		return nil, fmt.Errorf("invalid --model-hash: want %d bytes as hex (e.g. `sha256sum model.gguf`)", ModelHashLen)
	}
	return b, nil
}

func parseStake(s string) (types.Coin, error) {
	coins, err := cli.ParseAmount(s)
	if err != nil {
		return types.Coin{}, err
	}
	if len(coins) != 1 {
		return types.Coin{}, fmt.Errorf("invalid amount %q: want one coin, e.g. 1000000uself", s)
	}
	return coins[0], nil
}

func poaiCreateValidatorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create-validator <operator-key> <self-stake> --model-name NAME --model-hash HEX",
		Short: "Register this node as a validator candidate; it joins the active set at an epoch end",
		Long: `Register a validator: the operator key signs and pays the self-stake; the
consensus key is read from --pubkey (a priv_validator_key.json, or a node home),
by default from this --home's config/priv_validator_key.json, and signs a proof
that its holder registers it for this operator on this chain (poai.KeyProofSignBytes).
With --pubkey as JSON (public key only), pass that proof as --key-proof: run
"selfchaind comet key-proof <operator> --chain-id <id>" where the key lives.`,
		Example: `  selfchaind tx poai create-validator alice 10000000uself --model-name builtin-stat-v1 \
      --model-hash $(sha256sum model.bin | cut -c1-64) --commission 0.05 --moniker val1 --wait`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := cli.Settings(cmd)
			stake, err := parseStake(args[1])
			if err != nil {
				return err
			}
			pkArg := v.GetString("pubkey")
			if pkArg == "" {
				pkArg = cli.HomeDir(cmd)
			}
			key, err := ParseValidatorKey(pkArg)
			if err != nil {
				return err
			}
			hash, err := parseModelHash(v.GetString("model-hash"))
			if err != nil {
				return err
			}
			commission, err := ParseCommission(v.GetString("commission"))
			if err != nil {
				return err
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				chainID, err := cli.ResolveChainID(cmd)
				if err != nil {
					return nil, err
				}
				proof, err := key.Prove(chainID, from, v.GetString("key-proof"))
				if err != nil {
					return nil, err
				}
				return []runtime.Msg{&MsgCreateValidator{
					OperatorAddress: from.String(), ConsensusKey: ConsensusKeyFromPubKey(key.Pub), SelfStake: stake,
					ModelName: v.GetString("model-name"), ModelHash: hash, Commission: commission, Moniker: v.GetString("moniker"),
					ConsensusKeyProof: proof,
				}}, nil
			})
		},
	}
	cmd.Flags().String("pubkey", "", "consensus key: a priv_validator_key.json path or a node home (default: --home), or the public key as JSON with --key-proof")
	cmd.Flags().String("key-proof", "", "proof of possession of the consensus key, base64 (`selfchaind comet key-proof` in the validator's home); default: signed with the priv_validator_key.json")
	cmd.Flags().String("model-name", "builtin-stat-v1", "the AI model this validator runs")
	cmd.Flags().String("model-hash", "", "sha256 of the model, hex (32 bytes)")
	cmd.Flags().String("commission", "0.1", "commission: a fraction (0.05) or a percentage (5%)")
	cmd.Flags().String("moniker", "", "a name for the validator")
	cli.GasAutoByDefault(cmd)
	return cmd
}

func poaiEditValidatorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "edit-validator <operator-key> [--commission C] [--model-name N] [--model-hash HEX] [--moniker M]",
		Short:   "Change a validator's commission, AI model or moniker",
		Example: `  selfchaind tx poai edit-validator alice --commission 5% --model-name llama-3-8b --model-hash <hex>`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := cli.Settings(cmd)
			hash, err := parseModelHash(v.GetString("model-hash"))
			if err != nil {
				return err
			}
			commission, err := ParseCommission(v.GetString("commission"))
			if err != nil {
				return err
			}
			keep := !cmd.Flags().Changed("commission")
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				if keep { // the message always sets commission: resend the current one
					resp, err := cli.QueryClient(cmd, NewQueryClient).Validator(cmd.Context(), &QueryValidatorRequest{OperatorAddress: from.String()})
					if err != nil {
						return nil, err
					}
					commission = resp.Validator.Commission
				}
				return []runtime.Msg{&MsgEditValidator{OperatorAddress: from.String(), ModelName: v.GetString("model-name"),
					ModelHash: hash, Commission: commission, Moniker: v.GetString("moniker")}}, nil
			})
		},
	}
	cmd.Flags().String("model-name", "", "new model name (empty keeps it)")
	cmd.Flags().String("model-hash", "", "new model sha256, hex (empty keeps it)")
	cmd.Flags().String("commission", "", "new commission: a fraction (0.05) or a percentage (5%) (empty keeps it)")
	cmd.Flags().String("moniker", "", "new moniker (empty keeps it)")
	return cmd
}

func poaiBondCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "bond <operator-key> <amount>",
		Short:   "Add self-stake to a validator (power follows at the next epoch end)",
		Example: `  selfchaind tx poai bond alice 5000000uself --wait`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			amt, err := parseStake(args[1])
			if err != nil {
				return err
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgBond{OperatorAddress: from.String(), Amount: amt}}, nil
			})
		},
	}
}

func poaiUnbondCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "unbond <operator-key> <amount>",
		Short:   "Start unbonding self-stake; it is paid back after the unbonding period",
		Example: `  selfchaind tx poai unbond alice 5000000uself --wait`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			amt, err := parseStake(args[1])
			if err != nil {
				return err
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgUnbond{OperatorAddress: from.String(), Amount: amt}}, nil
			})
		},
	}
}

func poaiUnjailCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unjail <operator-key>",
		Short: "Leave jail after a downtime jail ended; the validator rejoins at the next epoch end",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgUnjail{OperatorAddress: from.String()}}, nil
			})
		},
	}
}

func poaiWithdrawCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "withdraw-rewards <operator-key>",
		Short: "Pay a validator's outstanding rewards to its operator",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgWithdrawRewards{OperatorAddress: from.String()}}, nil
			})
		},
	}
}

// ValidatorKey is a consensus key as the CLI reads it: the public key, and the
// private key when it came from a priv_validator_key.json (nil when only the
// public key was given, as JSON).
type ValidatorKey struct {
	Pub  cmtcrypto.PubKey
	Priv cmtcrypto.PrivKey
}

// ParseValidatorKey reads a consensus key given as JSON (the public key only:
// what `comet show-validator` prints, {"type":"tendermint/PubKeyEd25519","value":"..."}),
// or as a path to a priv_validator_key.json, or to a node home holding one
// (public and private key). The public key must pass ValidateConsensusKey.
func ParseValidatorKey(s string) (ValidatorKey, error) {
	k, err := parseValidatorKey(s)
	if err != nil {
		return ValidatorKey{}, err
	}
	if _, err := ValidateConsensusKey(ConsensusKeyFromPubKey(k.Pub)); err != nil {
		return ValidatorKey{}, fmt.Errorf("validator consensus key: %w", err)
	}
	return k, nil
}

func parseValidatorKey(s string) (ValidatorKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return ValidatorKey{}, errors.New("empty validator public key")
	}
	if !strings.HasPrefix(s, "{") {
		if fi, err := os.Stat(s); err == nil && fi.IsDir() {
			s = filepath.Join(s, cmtcfg.DefaultConfigDir, cmtcfg.DefaultPrivValKeyName)
		}
		bz, err := os.ReadFile(s)
		if err != nil {
			return ValidatorKey{}, fmt.Errorf("validator public key: not JSON and not a readable file: %w", err)
		}
		var key privval.FilePVKey
		if err := cmtjson.Unmarshal(bz, &key); err == nil && key.PubKey != nil {
			if key.PrivKey != nil && !key.PrivKey.PubKey().Equals(key.PubKey) {
				return ValidatorKey{}, fmt.Errorf("%s: its pub_key is not the public key of its priv_key", s)
			}
			return ValidatorKey{Pub: key.PubKey, Priv: key.PrivKey}, nil
		}
		s = strings.TrimSpace(string(bz))
	}
	var pub cmtcrypto.PubKey
	if err := cmtjson.Unmarshal([]byte(s), &pub); err != nil || pub == nil {
		return ValidatorKey{}, fmt.Errorf("validator public key: want {\"type\":\"tendermint/PubKeyEd25519\",\"value\":\"<base64>\"} (see `selfchaind comet show-validator`) or a priv_validator_key.json path: %v", err)
	}
	return ValidatorKey{Pub: pub}, nil
}

// ParseValidatorPubKey is ParseValidatorKey's public key.
func ParseValidatorPubKey(s string) (cmtcrypto.PubKey, error) {
	k, err := ParseValidatorKey(s)
	return k.Pub, err
}

// Prove returns the proof of possession of k for operator on chainID
// (KeyProofSignBytes): given, as base64 (made with `selfchaind comet key-proof`
// where the private key lives), or else signed with k's private key. A given
// proof is verified here, so a wrong one fails before anything is written or sent.
func (k ValidatorKey) Prove(chainID string, operator crypto.Address, given string) ([]byte, error) {
	if given = strings.TrimSpace(given); given != "" {
		proof, err := base64.StdEncoding.DecodeString(given)
		if err != nil {
			return nil, fmt.Errorf("--key-proof: not base64: %w", err)
		}
		if err := VerifyKeyProof(k.Pub, chainID, operator, proof); err != nil {
			return nil, fmt.Errorf("--key-proof: %w", err)
		}
		return proof, nil
	}
	if k.Priv == nil {
		return nil, fmt.Errorf("only the public key of consensus key %X is known, and registering it needs its holder's proof: "+
			"run `selfchaind comet key-proof %s --chain-id %s` in that validator's home and pass the output as --key-proof, "+
			"or point at its priv_validator_key.json", k.Pub.Address(), operator, chainID)
	}
	return SignKeyProof(k.Priv, chainID, operator)
}
