package keyring

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/selfchain/selfchain/crypto"
)

// Export armor: PEM-like text whose body is base64 JSON (armorPayload).
// The headers are for people and must agree with the payload.
const (
	armorBegin   = "-----BEGIN SELFCHAIN PRIVATE KEY-----"
	armorEnd     = "-----END SELFCHAIN PRIVATE KEY-----"
	armorVersion = 1
	aadArmor     = "selfchain-armor-v1"
	armorLineLen = 64
)

type armorPayload struct {
	Version   int        `json:"version"`
	Type      string     `json:"type"`
	PubKey    []byte     `json:"pub_key"`
	Encrypted *sealedBox `json:"encrypted_priv_key"`
}

func encodeArmor(priv crypto.PrivKey, passphrase string) (string, error) {
	pub := priv.PubKey()
	tk := typedKey{Type: priv.Type(), Key: priv.Bytes()}
	defer clear(tk.Key)
	pt, err := json.Marshal(tk)
	if err != nil {
		return "", err
	}
	defer clear(pt)
	box, err := lockWithPassphrase(passphrase, pt, keyAAD(aadArmor, pub.Type(), pub.Bytes()))
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(armorPayload{Version: armorVersion, Type: pub.Type(), PubKey: pub.Bytes(), Encrypted: box})
	if err != nil {
		return "", err
	}
	b64 := base64.StdEncoding.EncodeToString(body)

	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\nVersion: %d\nType: %s\n\n", armorBegin, armorVersion, pub.Type())
	for len(b64) > armorLineLen {
		sb.WriteString(b64[:armorLineLen] + "\n")
		b64 = b64[armorLineLen:]
	}
	sb.WriteString(b64 + "\n" + armorEnd + "\n")
	return sb.String(), nil
}

var errNotArmor = errors.New("not a SELF Chain private key armor")

func decodeArmor(armor, passphrase string) (crypto.PrivKey, error) {
	lines := strings.Split(strings.ReplaceAll(strings.TrimSpace(armor), "\r\n", "\n"), "\n")
	if len(lines) < 3 || strings.TrimSpace(lines[0]) != armorBegin {
		return nil, fmt.Errorf("%w: missing %q line", errNotArmor, armorBegin)
	}
	if strings.TrimSpace(lines[len(lines)-1]) != armorEnd {
		return nil, fmt.Errorf("%w: missing %q line", errNotArmor, armorEnd)
	}
	lines = lines[1 : len(lines)-1]

	headers := map[string]string{}
	for len(lines) > 0 {
		l := strings.TrimSpace(lines[0])
		lines = lines[1:]
		if l == "" {
			break
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("%w: bad header line %q", errNotArmor, l)
		}
		headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	var b64 strings.Builder
	for _, l := range lines {
		b64.WriteString(strings.TrimSpace(l))
	}
	body, err := base64.StdEncoding.DecodeString(b64.String())
	if err != nil {
		return nil, fmt.Errorf("%w: bad base64 body: %v", errNotArmor, err)
	}
	var p armorPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: malformed body: %v", errNotArmor, err)
	}
	if p.Version != armorVersion {
		return nil, fmt.Errorf("unsupported armor version %d (this build reads version %d)", p.Version, armorVersion)
	}
	if v := headers["Version"]; v != fmt.Sprint(armorVersion) {
		return nil, fmt.Errorf("%w: Version header %q does not match payload version %d", errNotArmor, v, p.Version)
	}
	if t := headers["Type"]; t != p.Type {
		return nil, fmt.Errorf("%w: Type header %q does not match payload type %q", errNotArmor, t, p.Type)
	}
	if p.Encrypted == nil {
		return nil, fmt.Errorf("%w: no encrypted key", errNotArmor)
	}
	pub, err := crypto.PubKeyFromTyped(p.Type, p.PubKey)
	if err != nil {
		return nil, fmt.Errorf("armored key: %w", err)
	}
	pt, err := p.Encrypted.open(passphrase, keyAAD(aadArmor, p.Type, p.PubKey))
	if errors.Is(err, errOpen) {
		return nil, fmt.Errorf("%w for armored key (or the armor was altered)", ErrWrongPassphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("armored key: %w", err)
	}
	defer clear(pt)
	var tk typedKey
	if err := json.Unmarshal(pt, &tk); err != nil {
		return nil, fmt.Errorf("armored key: malformed decrypted key: %w", err)
	}
	defer clear(tk.Key)
	priv, err := privFromTyped(tk, pub)
	if err != nil {
		return nil, fmt.Errorf("armored key: %w", err)
	}
	return priv, nil
}
