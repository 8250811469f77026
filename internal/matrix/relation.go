package matrix

import (
	"fmt"
	"strings"

	"github.com/msiforge/msiforge/internal/msiversion"
)

// Release identifies one package for the upgrade scenarios.
type Release struct {
	Name                              string // file name, for messages
	UpgradeCode, ProductCode, Version string
}

// UpgradeRelation names how cur relates to old for the upgrade scenarios
// (RelNewer or RelSameVersion), or says why the pair has none: another
// product, a major upgrade that kept its ProductCode, the same package
// twice (1638), or a downgrade. matrix --check --upgrade-from and
// verify-kit share it, so both pick the same scenarios.
func UpgradeRelation(old, cur Release) (string, error) {
	if !strings.EqualFold(old.UpgradeCode, cur.UpgradeCode) {
		return "", fmt.Errorf("%s has UpgradeCode %s and %s has %s: not releases of one product", old.Name, old.UpgradeCode, cur.Name, cur.UpgradeCode)
	}
	c := msiversion.Compare(cur.Version, old.Version)
	sameCode := strings.EqualFold(old.ProductCode, cur.ProductCode)
	switch {
	case c > 0 && !sameCode:
		return RelNewer, nil
	case c == 0 && !sameCode:
		return RelSameVersion, nil
	case c > 0:
		return "", fmt.Errorf("%s raises the version (%s to %s) but keeps the ProductCode %s: a major upgrade needs a new ProductCode", cur.Name, old.Version, cur.Version, cur.ProductCode)
	case c == 0:
		return "", fmt.Errorf("%s and %s are the same version with the same ProductCode: Windows refuses the second over the first with 1638 unless they are the same package", old.Name, cur.Name)
	}
	return "", fmt.Errorf("%s (%s) is older than %s (%s): a downgrade, which the package refuses", cur.Name, cur.Version, old.Name, old.Version)
}
