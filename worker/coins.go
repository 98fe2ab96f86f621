package worker

import (
	"context"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// Coins fetches the project's coin list from Cregis, drawing one call from
// the fleet-wide rate limit first (waiting for it as long as ctx allows), and
// records the call's metrics. It makes the Pipeline a tasks.CoinLister, so
// that the intake's coin-list refresh is limited like every other call.
func (p *Pipeline) Coins(ctx context.Context) (*cregis.Coins, error) {
	if err := p.limiter.wait(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	coins, err := p.cfg.Cregis.Coins(ctx)
	p.observeCall(cregis.PathCoins, err, time.Since(start))
	return coins, err
}
