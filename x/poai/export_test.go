package poai

// Exported for tests in package poai_test.
var (
	EMA               = ema
	ClipAgreement     = clipAgreement
	ComputeReputation = computeReputation
	WeightOf          = weightOf
	MulDiv            = mulDiv
	PowerOf           = powerOf
)
