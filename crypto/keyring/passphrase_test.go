package keyring

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func fakeSource(env string, term bool, answers ...string) (passphraseSource, *bytes.Buffer) {
	out := &bytes.Buffer{}
	return passphraseSource{
		getenv: func(k string) string {
			if k == PassphraseEnv {
				return env
			}
			return ""
		},
		isTerm: func() bool { return term },
		readPass: func() ([]byte, error) {
			if len(answers) == 0 {
				return nil, io.EOF
			}
			a := answers[0]
			answers = answers[1:]
			return []byte(a), nil
		},
		out: out,
	}, out
}

func TestPassphraseSource(t *testing.T) {
	s, _ := fakeSource("from-env", false)
	p, err := s.get("prompt: ", true)
	require.NoError(t, err)
	require.Equal(t, "from-env", p)

	s, _ = fakeSource("", false)
	_, err = s.get("prompt: ", false)
	require.EqualError(t, err, "no passphrase: set SELFCHAIN_KEYRING_PASSPHRASE or run in a terminal")

	s, out := fakeSource("", true, "typed")
	p, err = s.get("Enter: ", false)
	require.NoError(t, err)
	require.Equal(t, "typed", p)
	require.Equal(t, "Enter: \n", out.String())

	s, _ = fakeSource("", true, "one", "one")
	p, err = s.get("Enter: ", true)
	require.NoError(t, err)
	require.Equal(t, "one", p)

	s, _ = fakeSource("", true, "one", "two")
	_, err = s.get("Enter: ", true)
	require.EqualError(t, err, "passphrases do not match")

	s, _ = fakeSource("", true)
	_, err = s.get("Enter: ", false)
	require.ErrorIs(t, err, io.EOF)
}

func TestEnvPassphraseUsesEnv(t *testing.T) {
	t.Setenv(PassphraseEnv, "env-pass-123")
	p, err := EnvPassphrase()("ignored", true)
	require.NoError(t, err)
	require.Equal(t, "env-pass-123", p)
}
