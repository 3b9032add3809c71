package bank

import "fmt"

const DefaultMaxMultiSendOutputs = 100

func DefaultParams() Params {
	return Params{SendEnabled: true, MaxMultiSendOutputs: DefaultMaxMultiSendOutputs}
}

func (p Params) Validate() error {
	if p.MaxMultiSendOutputs == 0 || p.MaxMultiSendOutputs > MaxMultiSendOutputs {
		return fmt.Errorf("max_multi_send_outputs: %d is not in 1..%d", p.MaxMultiSendOutputs, MaxMultiSendOutputs)
	}
	return nil
}
