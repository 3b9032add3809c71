package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/crypto/seal"
)

const (
	flagTo  = "to"
	flagIn  = "in"
	flagOut = "out"
	flagAD  = "ad"
	flagKey = "key"
)

// keysEncryptCmd seals a file or stdin to a recipient's X25519+ML-KEM-768 key.
func keysEncryptCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "encrypt --to <selfpub-key|key-name|address>",
		Short: "Encrypt data to a recipient's hybrid X25519 + ML-KEM-768 key (streaming)",
		Long: `Encrypts --in (default stdin) to --out (default stdout) for the recipient named by --to:
a "selfpub1..." encryption key (from 'keys show --encryption-key'), or the name or address
of a key in this keyring. --ad binds associated data the decrypter must supply too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := clientcli.Settings(cmd)
			if err := binaryOutputCheck(cmd); err != nil {
				return err
			}
			pub, err := recipientKey(cmd, v.GetString(flagTo))
			if err != nil {
				return err
			}
			in, out, done, err := openInOut(cmd, v.GetString(flagIn), v.GetString(flagOut))
			if err != nil {
				return err
			}
			cw := &countingWriter{w: out}
			w, err := seal.NewWriter(cw, pub, []byte(v.GetString(flagAD)), 0)
			if err != nil {
				return done(err)
			}
			if _, err := io.Copy(w, in); err != nil {
				return done(err)
			}
			if err := done(w.Close()); err != nil {
				return err
			}
			return printWritten(cmd, cw.n)
		},
	}
	cmd.Flags().String(flagTo, "", "recipient: selfpub1... key, or a key name or address in this keyring")
	addInOutFlags(cmd)
	return cmd
}

// keysDecryptCmd opens an envelope with the matching key of this keyring.
func keysDecryptCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "decrypt [--key <name>]",
		Short: "Decrypt data sealed to one of this keyring's keys",
		Long: `Decrypts --in (default stdin) to --out (default stdout). Without --key, the key is found
by the recipient key id in the envelope's header. Output is written as chunks authenticate:
on any error, discard what was written.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := clientcli.Settings(cmd)
			if err := binaryOutputCheck(cmd); err != nil {
				return err
			}
			kr, err := clientcli.OpenKeyring(cmd)
			if err != nil {
				return err
			}
			in, out, done, err := openInOut(cmd, v.GetString(flagIn), v.GetString(flagOut))
			if err != nil {
				return err
			}
			br := bufio.NewReader(in)
			head, err := br.Peek(seal.HeaderSize)
			if err != nil && !errors.Is(err, io.EOF) {
				return done(err)
			}
			id, err := seal.RecipientKeyID(head)
			if err != nil {
				return done(fmt.Errorf("not a sealed envelope: %w", err))
			}
			priv, err := findSealKey(kr, v.GetString(flagKey), id)
			if err != nil {
				return done(err)
			}
			r, err := seal.NewReader(br, priv, []byte(v.GetString(flagAD)))
			if err != nil {
				return done(err)
			}
			n, err := io.Copy(out, r)
			if err := done(err); err != nil {
				return err
			}
			return printWritten(cmd, n)
		},
	}
	cmd.Flags().String(flagKey, "", "keyring key to decrypt with (default: the one the envelope names)")
	addInOutFlags(cmd)
	return cmd
}

// binaryOutputCheck refuses --output json with the data going to stdout: the
// output is binary (or the plaintext), which no JSON can be mixed into.
func binaryOutputCheck(cmd *cobra.Command) error {
	if out := clientcli.Settings(cmd).GetString(flagOut); clientcli.JSONOutput(cmd) && (out == "-" || out == "") {
		return fmt.Errorf("%s writes raw bytes to stdout: with --output json pass --out FILE (the JSON then says what was written)", cmd.CommandPath())
	}
	return nil
}

// printWritten is the JSON report of a file written with --out (text prints nothing).
func printWritten(cmd *cobra.Command, n int64) error {
	if !clientcli.JSONOutput(cmd) {
		return nil
	}
	return clientcli.PrintResult(cmd, map[string]any{"out": clientcli.Settings(cmd).GetString(flagOut), "bytes": n}, func(io.Writer) {})
}

// countingWriter counts what the envelope writer wrote, for printWritten.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func addInOutFlags(cmd *cobra.Command) {
	cmd.Flags().String(flagIn, "-", "input file, - for stdin")
	cmd.Flags().String(flagOut, "-", "output file, - for stdout")
	cmd.Flags().String(flagAD, "", "associated data bound to the envelope (both sides must pass the same)")
}

// recipientKey resolves --to: an encryption key in text form, or a local key.
func recipientKey(cmd *cobra.Command, to string) (*seal.PublicKey, error) {
	if to == "" {
		return nil, errors.New("--to is required: a selfpub1... encryption key, or a key name or address in this keyring")
	}
	if strings.HasPrefix(to, seal.PublicKeyPrefix+"1") {
		return seal.ParsePublicKeyString(to)
	}
	kr, err := clientcli.OpenKeyring(cmd)
	if err != nil {
		return nil, err
	}
	priv, err := kr.SealKey(to)
	if errors.Is(err, keyring.ErrKeyNotFound) {
		return nil, fmt.Errorf("%q is neither a selfpub1... encryption key nor a key in this keyring; "+
			"ask the recipient for the output of 'keys show <name> --encryption-key'", to)
	}
	if err != nil {
		return nil, err
	}
	return priv.Public(), nil
}

// findSealKey returns the named key's encryption key, or the keyring key whose encryption key has id.
func findSealKey(kr keyring.Keyring, name, id string) (*seal.PrivateKey, error) {
	if name != "" {
		priv, err := kr.SealKey(name)
		if err != nil {
			return nil, err
		}
		if priv.Public().ID() != id {
			return nil, fmt.Errorf("%w: the envelope is for key id %s, %s has %s", seal.ErrWrongRecipient, id, name, priv.Public().ID())
		}
		return priv, nil
	}
	recs, err := kr.List()
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		priv, err := kr.SealKey(r.Name)
		if err != nil {
			return nil, err
		}
		if priv.Public().ID() == id {
			return priv, nil
		}
	}
	return nil, fmt.Errorf("%w: no key in this keyring has encryption key id %s", seal.ErrWrongRecipient, id)
}

// openInOut opens the input and output ("-" = stdin/stdout); done closes them and,
// when decryption or encryption failed, removes a partly written output file.
func openInOut(cmd *cobra.Command, inPath, outPath string) (io.Reader, io.Writer, func(error) error, error) {
	var in io.Reader = cmd.InOrStdin()
	var inFile *os.File
	if inPath != "-" && inPath != "" {
		f, err := os.Open(inPath)
		if err != nil {
			return nil, nil, nil, err
		}
		in, inFile = f, f
	}
	var out io.Writer = cmd.OutOrStdout()
	var outFile *os.File
	if outPath != "-" && outPath != "" {
		f, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if inFile != nil {
				inFile.Close()
			}
			return nil, nil, nil, err
		}
		out, outFile = f, f
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	done := func(err error) error {
		if err == nil {
			err = bw.Flush()
		}
		if inFile != nil {
			inFile.Close()
		}
		if outFile != nil {
			if cerr := outFile.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(outFile.Name())
			}
		}
		return err
	}
	return in, bw, done, nil
}
