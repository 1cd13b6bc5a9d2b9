// Package config reads, validates and compares the daemon's settings.json.
//
// It is the single home of every default and bound of behavior.md §2: the
// struct tags of Settings and RateLimits name each key and state what it
// allows, Defaults gives the values used when a key is absent, and no other
// package hard-codes a limit. A settings document is refused as a whole on
// the first problem, so a typo can never silently weaken a security setting.
package config

import (
	"encoding/json"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
)

// Settings holds every key of settings.json.
//
// The struct tags are the contract of behavior.md §2 and the only place key
// names and bounds are written: json is the key; range is the allowed
// interval of a number ("1," has no upper bound); items is the allowed
// length of a list; check names the rule each value must satisfy; floor is
// the value a lower setting is raised to with a warning; reload:"restart"
// marks a key that takes effect only at the next start.
//
// A Settings handed to Live is shared by concurrent readers and must not be
// modified afterwards.
type Settings struct {
	Channels                   []string   `json:"channels" items:"1,50" check:"channels"`
	ImageRetentionDays         int        `json:"image_retention_days" range:"0,36500"`
	FileRetentionDays          int        `json:"file_retention_days" range:"0,36500"`
	MessageRetentionDays       int        `json:"message_retention_days" range:"0,36500"`
	MaxMessageDBSizeMB         int        `json:"max_message_db_size_mb" range:"0,1048576"`
	MaxUploadDirSizeMB         int        `json:"max_upload_dir_size_mb" range:"0,1048576"`
	MaxUploadSizeMB            int        `json:"max_upload_size_mb" range:"1,1024"`
	MaxAvatarSizeMB            int        `json:"max_avatar_size_mb" range:"1,50"`
	MaxMessageLength           int        `json:"max_message_length" range:"1,100000"`
	StunPort                   int        `json:"stun_port" range:"1,65535" reload:"restart"`
	MaxLoginAttempts           int        `json:"max_login_attempts" range:"0,100"`
	LockoutDurationMinutes     int        `json:"lockout_duration_minutes" range:"1,1440"`
	PasswordMinLength          int        `json:"password_min_length" range:"1,128" floor:"15"`
	PasswordHistoryCount       int        `json:"password_history_count" range:"0,24"`
	PasswordMinAgeHours        float64    `json:"password_min_age_hours" range:"0,720"`
	PasswordMaxAgeDays         int        `json:"password_max_age_days" range:"0,3650"`
	SessionIdleMinutes         int        `json:"session_idle_minutes" range:"0,525600"`
	SessionMaxHours            int        `json:"session_max_hours" range:"1,8760"`
	AuditLogMaxSizeMB          int        `json:"audit_log_max_size_mb" range:"0,1024"`
	AuditLogMaxAgeDays         int        `json:"audit_log_max_age_days" range:"0,3650"`
	AuditLogBackups            int        `json:"audit_log_backups" range:"0,1000"`
	RateLimitEnabled           bool       `json:"rate_limit_enabled"`
	MaxEventStreamsPerUser     int        `json:"max_event_streams_per_user" range:"1,100"`
	RateLimits                 RateLimits `json:"rate_limits"`
	RetentionIntervalHours     int        `json:"retention_interval_hours" range:"1,168"`
	LinkPreviewsEnabled        bool       `json:"link_previews_enabled"`
	LinkPreviewAllowedNetworks []string   `json:"link_preview_allowed_networks" items:"0,64" check:"networks"`
	TLSCertFile                string     `json:"tls_cert_file" check:"abspath"`
	TLSKeyFile                 string     `json:"tls_key_file" check:"abspath"`
	PublicHosts                []string   `json:"public_hosts" items:"0,32" check:"hosts" reload:"restart"`
}

// RateLimits holds the per-action sliding-window limits of behavior.md §14.
//
// Besides the tags described on Settings, legacy:"action,seconds" names the
// action of the Python MiniMost's [max, window_seconds] form that converts
// to the key, and the key's own window in seconds.
type RateLimits struct {
	LoginPerMinute       int `json:"login_per_minute" range:"1," legacy:"login,60"`
	SignupPerHour        int `json:"signup_per_hour" range:"1," legacy:"signup,3600"`
	PasswordResetPerHour int `json:"password_reset_per_hour" range:"1," legacy:"password_reset,3600"`
	MessagesPer10s       int `json:"messages_per_10s" range:"1," legacy:"send,10"`
	UploadsPerMinute     int `json:"uploads_per_minute" range:"1,"`
	AvatarPerHour        int `json:"avatar_per_hour" range:"1," legacy:"avatar,3600"`
	CreateChannelPerHour int `json:"create_channel_per_hour" range:"1," legacy:"create_channel,3600"`
	APIPerMinute         int `json:"api_per_minute" range:"1,"`
}

// Defaults returns a new Settings holding the default of every key.
func Defaults() *Settings {
	return &Settings{
		Channels:               []string{"general", "software", "firmware", "systems", "off-topic"},
		ImageRetentionDays:     30,
		FileRetentionDays:      30,
		MessageRetentionDays:   770,
		MaxMessageDBSizeMB:     1024,
		MaxUploadDirSizeMB:     2048,
		MaxUploadSizeMB:        25,
		MaxAvatarSizeMB:        5,
		MaxMessageLength:       10000,
		StunPort:               3478,
		MaxLoginAttempts:       5,
		LockoutDurationMinutes: 15,
		PasswordMinLength:      15,
		PasswordHistoryCount:   5,
		PasswordMinAgeHours:    0,
		PasswordMaxAgeDays:     0,
		SessionIdleMinutes:     20160,
		SessionMaxHours:        720,
		AuditLogMaxSizeMB:      10,
		AuditLogMaxAgeDays:     30,
		AuditLogBackups:        12,
		RateLimitEnabled:       true,
		MaxEventStreamsPerUser: 12,
		RateLimits: RateLimits{
			LoginPerMinute:       60,
			SignupPerHour:        20,
			PasswordResetPerHour: 30,
			MessagesPer10s:       40,
			UploadsPerMinute:     60,
			AvatarPerHour:        60,
			CreateChannelPerHour: 60,
			APIPerMinute:         1200,
		},
		RetentionIntervalHours: 24,
		LinkPreviewsEnabled:    true,
		// Empty rather than nil lists, so that DefaultJSON writes [] and
		// not null, which Parse would refuse.
		LinkPreviewAllowedNetworks: []string{},
		TLSCertFile:                "",
		TLSKeyFile:                 "",
		PublicHosts:                []string{},
	}
}

// DefaultJSON returns the default settings as indented JSON that writes out
// every key, ready to be installed as an operator's starting settings file.
func DefaultJSON() []byte {
	b, err := json.MarshalIndent(Defaults(), "", "  ")
	if err != nil {
		// Settings holds only strings, numbers, booleans and lists of
		// strings, which always marshal.
		panic("config: marshal defaults: " + err.Error())
	}
	return append(b, '\n')
}

// AllowedNetworks returns link_preview_allowed_networks as prefixes with
// their host bits cleared. Parse has already refused every entry that is
// not a valid CIDR; an invalid entry in a Settings built by hand is left out.
func (s *Settings) AllowedNetworks() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(s.LinkPreviewAllowedNetworks))
	for _, n := range s.LinkPreviewAllowedNetworks {
		if p, err := netip.ParsePrefix(n); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}

// Path returns the settings file to read: flagPath when it is set (the
// --config flag), else settings.json in $CONFIGURATION_DIRECTORY when
// systemd set it, else settings.json in dataDir.
func Path(flagPath string, getenv func(string) string, dataDir string) string {
	if flagPath != "" {
		return flagPath
	}
	// systemd joins several ConfigurationDirectory= entries with ':'; the
	// first one is the daemon's own.
	if dir, _, _ := strings.Cut(getenv("CONFIGURATION_DIRECTORY"), ":"); dir != "" {
		return filepath.Join(dir, "settings.json")
	}
	return filepath.Join(dataDir, "settings.json")
}

// Diff returns, sorted, the keys whose values differ between old and
// updated (a rate_limits sub-key as "rate_limits.<sub-key>"), and the keys
// among them that take effect only after a restart. An empty list equals a
// nil one.
func Diff(old, updated *Settings) (changed, restartRequired []string) {
	ov, uv := reflect.ValueOf(old).Elem(), reflect.ValueOf(updated).Elem()
	for _, f := range settingsFields {
		if f.kind == reflect.Struct {
			ob, ub := ov.Field(f.index), uv.Field(f.index)
			for _, sub := range rateLimitFields {
				if !sameValue(ob.Field(sub.index), ub.Field(sub.index)) {
					changed = append(changed, f.key+"."+sub.key)
				}
			}
			continue
		}
		if !sameValue(ov.Field(f.index), uv.Field(f.index)) {
			changed = append(changed, f.key)
			if f.restart {
				restartRequired = append(restartRequired, f.key)
			}
		}
	}
	sort.Strings(changed)
	sort.Strings(restartRequired)
	return changed, restartRequired
}

// sameValue compares two settings values; lists compare by content because
// reflect.DeepEqual would tell a nil list from an empty one.
func sameValue(a, b reflect.Value) bool {
	if a.Kind() == reflect.Slice {
		return slices.Equal(a.Interface().([]string), b.Interface().([]string))
	}
	return a.Equal(b)
}

// Live holds the settings in force for concurrent readers. A reload builds
// and validates a complete new Settings and swaps it in, so a reader sees
// either the old or the new settings, never a mixture.
type Live struct {
	cur atomic.Pointer[Settings]
}

// NewLive returns a Live holding s.
func NewLive(s *Settings) *Live {
	l := &Live{}
	l.cur.Store(s)
	return l
}

// Get returns the settings in force. The result must not be modified.
func (l *Live) Get() *Settings {
	return l.cur.Load()
}

// Swap puts s in force for every later Get.
func (l *Live) Swap(s *Settings) {
	l.cur.Store(s)
}
