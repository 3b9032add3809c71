package tx

import "fmt"

// SignBytes is what the signer signs: the exact body and auth-info bytes bound to
// one chain id and one account number (the sequence is inside auth_info_bytes),
// so a signature replays neither on another chain nor for another account.
func SignBytes(chainID string, accountNumber uint64, bodyBytes, authInfoBytes []byte) ([]byte, error) {
	doc := SignDoc{BodyBytes: bodyBytes, AuthInfoBytes: authInfoBytes, ChainId: chainID, AccountNumber: accountNumber}
	bz, err := doc.Marshal()
	if err != nil {
		return nil, fmt.Errorf("sign doc: %w", err)
	}
	return bz, nil
}
