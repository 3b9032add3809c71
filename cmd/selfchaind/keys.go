package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
)

const (
	flagRecover  = "recover"
	flagKeyType  = "key-type"
	flagIndex    = "index"
	flagNoBackup = "no-backup"
)

// keyOutput is how a key is shown; the private part never is. The public key
// is a fingerprint unless --full: a hybrid key is ~2.6 KB of base64, which
// flooded the terminal and every `keys list -o json`.
type keyOutput struct {
	Name              string `json:"name"`
	Type              string `json:"type"`
	Address           string `json:"address"`
	PubKeyFingerprint string `json:"pubkey_fingerprint"`
	PubKey            string `json:"pubkey,omitempty"` // base64 of the raw public key, with --full
	Mnemonic          string `json:"mnemonic,omitempty"`
}

const flagFull = "full"

// addFullFlag is --full on the commands that show keys.
func addFullFlag(cmd *cobra.Command) {
	cmd.Flags().Bool(flagFull, false, "also print the full public key (base64; a hybrid key is ~2.6 KB), not only its fingerprint")
}

func newKeyOutput(cmd *cobra.Command, r keyring.Record) keyOutput {
	o := keyOutput{Name: r.Name, Type: r.Type, Address: r.Address.String()}
	if r.PubKey != nil {
		o.PubKeyFingerprint = clientcli.Fingerprint(r.Type, r.PubKey.Bytes())
		if full, _ := cmd.Flags().GetBool(flagFull); full {
			o.PubKey = base64.StdEncoding.EncodeToString(r.PubKey.Bytes())
		}
	}
	return o
}

func (o keyOutput) text(w io.Writer) {
	pairs := []any{"name", o.Name, "type", o.Type, "address", o.Address, "pubkey_fingerprint", o.PubKeyFingerprint}
	if o.PubKey != "" {
		pairs = append(pairs, "pubkey", o.PubKey)
	}
	clientcli.KV(w, pairs...)
}

const flagEncryptionKey = "encryption-key"

func keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage account keys in the keyring (--keyring-backend, under --home)",
	}
	cmd.AddCommand(keysAddCmd(), keysRecoverCmd(), keysListCmd(), keysShowCmd(), keysDeleteCmd(), keysExportCmd(), keysImportCmd(),
		keysEncryptCmd(), keysDecryptCmd())
	return cmd
}

func keysAddCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add <name>",
		Short: "Create a key from a new mnemonic, or recover one with --recover (mnemonic on stdin)",
		Example: `  selfchaind keys add alice
  selfchaind keys add alice --key-type ed25519 --keyring-backend test
  echo "$MNEMONIC" | selfchaind keys add alice --recover`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fromMnemonic := clientcli.Settings(cmd).GetBool(flagRecover)
			return addKey(cmd, args[0], fromMnemonic)
		},
	}
	addKeyFlags(cmd)
	addFullFlag(cmd)
	cmd.Flags().Bool(flagRecover, false, "recover the key from a BIP-39 mnemonic read from stdin")
	cmd.Flags().Bool(flagNoBackup, false, "do not print the new mnemonic")
	return cmd
}

func keysRecoverCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recover <name>",
		Short: "Recover a key from a BIP-39 mnemonic read from stdin (same as add --recover)",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return addKey(cmd, args[0], true) },
	}
	addKeyFlags(cmd)
	addFullFlag(cmd)
	return cmd
}

func addKeyFlags(cmd *cobra.Command) {
	cmd.Flags().String(flagKeyType, crypto.DefaultKeyType, "key type: "+strings.Join(crypto.Schemes(), ", "))
	cmd.Flags().Uint32(flagIndex, 0, "address index in the mnemonic's derivation path")
}

func addKey(cmd *cobra.Command, name string, fromMnemonic bool) error {
	kr, err := clientcli.OpenKeyring(cmd)
	if err != nil {
		return err
	}
	keyType := clientcli.Settings(cmd).GetString(flagKeyType)
	index := clientcli.Settings(cmd).GetUint32(flagIndex)
	if _, ok := crypto.Scheme(keyType); !ok {
		return fmt.Errorf("unknown --key-type %q: want one of %s", keyType, strings.Join(crypto.Schemes(), ", "))
	}
	if _, err := kr.Get(name); err == nil {
		return fmt.Errorf("key %q already exists: delete it first or pick another name", name)
	}
	var (
		rec      keyring.Record
		mnemonic string
	)
	if fromMnemonic {
		m, err := readLine(cmd, "Enter your BIP-39 mnemonic")
		if err != nil {
			return err
		}
		if err := crypto.ValidateMnemonic(m); err != nil {
			return err // already "invalid mnemonic: <what is wrong>"
		}
		if rec, err = kr.Recover(name, keyType, m, index); err != nil {
			return err
		}
	} else {
		if index != 0 {
			return errors.New("--index only applies with --recover (a new mnemonic starts at index 0)")
		}
		if rec, mnemonic, err = kr.NewMnemonic(name, keyType); err != nil {
			return err
		}
		if noBackup := clientcli.Settings(cmd).GetBool(flagNoBackup); noBackup {
			mnemonic = ""
		}
	}
	out := newKeyOutput(cmd, rec)
	out.Mnemonic = mnemonic
	return clientcli.PrintResult(cmd, out, func(w io.Writer) {
		out.text(w)
		if mnemonic != "" {
			fmt.Fprintf(w, "\n**Important** write this mnemonic phrase in a safe place.\n"+
				"It is the only way to recover your account if you ever lose the keyring.\n\n%s\n", mnemonic)
		}
	})
}

func keysListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List all keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kr, err := clientcli.OpenKeyring(cmd)
			if err != nil {
				return err
			}
			recs, err := kr.List()
			if err != nil {
				return err
			}
			outs := make([]keyOutput, len(recs))
			for i, r := range recs {
				outs[i] = newKeyOutput(cmd, r)
			}
			return clientcli.PrintResult(cmd, outs, func(w io.Writer) {
				if len(outs) == 0 {
					fmt.Fprintf(w, "no keys in the %q keyring under %s\n", kr.Backend(), clientcli.HomeDir(cmd))
					return
				}
				rows := make([][]any, len(outs))
				for i, o := range outs {
					rows[i] = []any{o.Name, o.Type, o.Address, o.PubKeyFingerprint}
				}
				clientcli.Table(w, []string{"name", "type", "address", "pubkey_fingerprint"}, rows)
			})
		},
	}
	addFullFlag(cmd)
	return cmd
}

func keysShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show <name-or-address>",
		Short: "Show a key's type, address and public key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := clientcli.OpenKeyring(cmd)
			if err != nil {
				return err
			}
			rec, err := kr.Get(args[0])
			if err != nil {
				return err
			}
			out := newKeyOutput(cmd, rec)
			if clientcli.Settings(cmd).GetBool(flagEncryptionKey) {
				priv, err := kr.SealKey(rec.Name)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), priv.Public().String())
				return nil
			}
			onlyAddr := clientcli.Settings(cmd).GetBool("address")
			onlyPub := clientcli.Settings(cmd).GetBool("pubkey")
			switch {
			case onlyAddr && onlyPub:
				return errors.New("--address and --pubkey are mutually exclusive")
			case onlyAddr:
				fmt.Fprintln(cmd.OutOrStdout(), out.Address)
				return nil
			case onlyPub:
				pk := struct {
					Type string `json:"type"`
					Key  string `json:"key"`
				}{out.Type, base64.StdEncoding.EncodeToString(rec.PubKey.Bytes())}
				bz, _ := clientcli.MarshalJSON(pk)
				fmt.Fprintln(cmd.OutOrStdout(), string(bz))
				return nil
			}
			return clientcli.PrintResult(cmd, out, out.text)
		},
	}
	cmd.Flags().BoolP("address", "a", false, "print only the address")
	cmd.Flags().BoolP("pubkey", "p", false, "print only the public key, as {\"type\",\"key\"} JSON")
	addFullFlag(cmd)
	cmd.Flags().BoolP(flagEncryptionKey, "e", false, "print only the key's X25519+ML-KEM-768 encryption key (selfpub1...), for 'keys encrypt --to'")
	return cmd
}

func keysDeleteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete <name>",
		Short: "Delete a key (asks first unless --yes)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := clientcli.OpenKeyring(cmd)
			if err != nil {
				return err
			}
			rec, err := kr.Get(args[0])
			if err != nil {
				return err
			}
			if yes := clientcli.Settings(cmd).GetBool(clientcli.FlagYes); !yes {
				ok, err := clientcli.Confirm(cmd, fmt.Sprintf("Delete key %q (%s)? It cannot be undone without its mnemonic", rec.Name, rec.Address))
				if err != nil {
					return err
				}
				if !ok {
					return errors.New("aborted")
				}
			}
			if err := kr.Delete(rec.Name); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "key %q deleted\n", rec.Name)
			return nil
		},
	}
	cmd.Flags().BoolP(clientcli.FlagYes, "y", false, "delete without asking")
	return cmd
}

func keysExportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "export <name>",
		Short: "Print a key's private key as passphrase-encrypted ASCII armor",
		Long: `Print a key's private key as ASCII armor, encrypted with a passphrase asked on
the terminal (or taken from ` + keyring.PassphraseEnv + `).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := clientcli.OpenKeyring(cmd)
			if err != nil {
				return err
			}
			if _, err := kr.Get(args[0]); err != nil {
				return err
			}
			pass, err := clientcli.Passphrase("Enter passphrase to encrypt the exported key", true)
			if err != nil {
				return err
			}
			armor, err := kr.ExportPrivKeyArmor(args[0], pass)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), strings.TrimRight(armor, "\n"))
			return nil
		},
	}
}

func keysImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import <name> <armor-file>",
		Short: "Import a private key from ASCII armor written by keys export",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			bz, err := os.ReadFile(args[1])
			if err != nil {
				return err
			}
			kr, err := clientcli.OpenKeyring(cmd)
			if err != nil {
				return err
			}
			pass, err := clientcli.Passphrase("Enter passphrase to decrypt the key", false)
			if err != nil {
				return err
			}
			rec, err := kr.ImportPrivKeyArmor(args[0], string(bz), pass)
			if err != nil {
				return err
			}
			out := newKeyOutput(cmd, rec)
			return clientcli.PrintResult(cmd, out, out.text)
		},
	}
	addFullFlag(cmd)
	return cmd
}
