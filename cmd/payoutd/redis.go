package main

import (
	"net"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// redisConn is how payoutd reaches Redis, parsed once from the
// configuration by go-redis's own URL parsers. It makes the go-redis client
// for payoutd's keys and is also asynq's RedisConnOpt (and so the monitoring
// UI's), so every connection uses the same options: credentials, TLS,
// timeouts, pool sizes.
type redisConn struct {
	desc      string // for logs: kind and addresses, never credentials
	newClient func() redis.UniversalClient
}

// defaultProtocol is the RESP version payoutd speaks unless REDIS_URL names
// one (?protocol=3): RESP2. payoutd uses no RESP3 feature, and go-redis
// checks every RESP3 connection for push notifications before and after
// each command, which cost Redis and payoutd about a third of their CPU a
// Producer.Enqueue (measured: Redis 47 -> 32 us, payoutd 54 -> 41 us).
const defaultProtocol = 2

// MakeRedisClient implements asynq.RedisConnOpt.
func (c redisConn) MakeRedisClient() any { return c.newClient() }

// newRedisConn parses REDIS_URL or REDIS_CLUSTER_ADDRS. It connects to
// nothing.
func newRedisConn(c *Config) (redisConn, error) {
	if len(c.RedisClusterAddrs) > 0 {
		return clusterConn(c)
	}
	u, err := url.Parse(c.RedisURL)
	if err != nil {
		return redisConn{}, problem("REDIS_URL", "not a valid URL")
	}
	switch u.Scheme {
	case "redis", "rediss":
		return singleConn(c.RedisURL, u)
	case "redis-sentinel":
		return sentinelConn(u)
	}
	return redisConn{}, problem("REDIS_URL", "scheme %q is not redis, rediss or redis-sentinel", u.Scheme)
}

func singleConn(raw string, u *url.URL) (redisConn, error) {
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return redisConn{}, redisURLProblem(err, u)
	}
	if u.Query().Get("protocol") == "" {
		opts.Protocol = defaultProtocol
	}
	return redisConn{
		desc:      "redis " + opts.Addr,
		newClient: func() redis.UniversalClient { o := *opts; return redis.NewClient(&o) },
	}, nil
}

// sentinelConn reads redis-sentinel://[user:pass@]host:port[,host:port...][/db]?master_name=NAME
// (asynq's "master" is accepted for master_name); other query parameters
// are go-redis's FailoverOptions, e.g. password for the master's password.
func sentinelConn(u *url.URL) (redisConn, error) {
	hosts := strings.Split(u.Host, ",")
	q := u.Query()
	if q.Get("master_name") == "" && q.Get("master") != "" {
		q.Set("master_name", q.Get("master"))
	}
	q.Del("master")
	if q.Get("master_name") == "" {
		return redisConn{}, problem("REDIS_URL", "a redis-sentinel URL needs ?master_name=NAME")
	}
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	v := *u
	v.Scheme, v.Host, v.RawQuery = "redis", hosts[0], q.Encode()
	opts, err := redis.ParseFailoverURL(v.String())
	if err != nil {
		return redisConn{}, redisURLProblem(err, u)
	}
	if q.Get("protocol") == "" {
		opts.Protocol = defaultProtocol
	}
	return redisConn{
		desc:      "redis sentinel " + strings.Join(opts.SentinelAddrs, ",") + " master " + opts.MasterName,
		newClient: func() redis.UniversalClient { o := *opts; return redis.NewFailoverClient(&o) },
	}, nil
}

// clusterConn uses REDIS_CLUSTER_ADDRS, with credentials and TLS from
// REDIS_URL when that is set too.
func clusterConn(c *Config) (redisConn, error) {
	for _, a := range c.RedisClusterAddrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return redisConn{}, problem("REDIS_CLUSTER_ADDRS", "%q is not host:port", a)
		}
	}
	opts := &redis.ClusterOptions{Addrs: c.RedisClusterAddrs, Protocol: defaultProtocol}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil {
			return redisConn{}, problem("REDIS_URL", "not a valid URL")
		}
		single, err := redis.ParseURL(c.RedisURL)
		if err != nil {
			return redisConn{}, redisURLProblem(err, u)
		}
		opts.Username, opts.Password, opts.TLSConfig = single.Username, single.Password, single.TLSConfig
		if u.Query().Get("protocol") != "" {
			opts.Protocol = single.Protocol
		}
	}
	return redisConn{
		desc:      "redis cluster " + strings.Join(opts.Addrs, ","),
		newClient: func() redis.UniversalClient { o := *opts; return redis.NewClusterClient(&o) },
	}, nil
}

// redisURLProblem reports a go-redis parse error without the URL's password.
func redisURLProblem(err error, u *url.URL) error {
	msg := err.Error()
	for _, pw := range []string{u.Query().Get("password"), userPassword(u)} {
		if pw != "" {
			msg = strings.ReplaceAll(msg, pw, redacted)
		}
	}
	return problem("REDIS_URL", "%s", msg)
}

func userPassword(u *url.URL) string {
	pw, _ := u.User.Password()
	return pw
}
