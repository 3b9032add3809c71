package crypto

// The hot path decodes every tx's signer and each transfer's from/to address
// (several times per tx across CheckTx, proposals and execution). The general
// bech32 decoder allocates three times per call; this one allocates only the
// address. It accepts exactly the strings AddressFromBech32's general path
// accepts (lowercase, bech32 checksum, the active prefix, 20 bytes) and reports
// false for anything else, which then takes the general path and gets its
// error message unchanged.

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32Rev maps an ASCII byte to its 5-bit value, or 0xff.
var bech32Rev = func() (r [256]byte) {
	for i := range r {
		r[i] = 0xff
	}
	for i := 0; i < len(bech32Charset); i++ {
		r[bech32Charset[i]] = byte(i)
	}
	return r
}()

// bech32DataChars is the number of 5-bit characters of an AddressLen-byte
// payload; 160 bits fill 32 characters with no padding.
const bech32DataChars = (AddressLen*8 + 4) / 5

func bech32Polymod(chk uint32, v byte) uint32 {
	b := chk >> 25
	chk = (chk&0x1ffffff)<<5 ^ uint32(v)
	for i, g := range [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3} {
		if (b>>uint(i))&1 == 1 {
			chk ^= g
		}
	}
	return chk
}

// addressFromBech32Fast decodes s when it is a canonical address with prefix
// hrp; ok is false for anything else (including valid but uppercase strings).
func addressFromBech32Fast(s, hrp string) (Address, bool) {
	if AddressLen*8%5 != 0 || len(s) != len(hrp)+1+bech32DataChars+6 || s[:len(hrp)] != hrp || s[len(hrp)] != '1' {
		return nil, false
	}
	chk := uint32(1)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Polymod(chk, hrp[i]>>5)
	}
	chk = bech32Polymod(chk, 0)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Polymod(chk, hrp[i]&31)
	}
	data := s[len(hrp)+1:]
	for i := 0; i < len(data); i++ {
		v := bech32Rev[data[i]]
		if v == 0xff {
			return nil, false
		}
		chk = bech32Polymod(chk, v)
	}
	if chk != 1 { // 1: bech32 (BIP-173); bech32m and bad checksums go the slow way
		return nil, false
	}
	out := make(Address, AddressLen)
	var acc uint64
	bits, n := 0, 0
	for i := 0; i < bech32DataChars; i++ {
		acc = acc<<5 | uint64(bech32Rev[data[i]])
		bits += 5
		for bits >= 8 {
			bits -= 8
			out[n] = byte(acc >> uint(bits))
			n++
		}
	}
	return out, true
}
