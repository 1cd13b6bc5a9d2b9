package chat

// Account is a user as the server holds it, secrets included. It never
// leaves the server: answers carry User.
type Account struct {
	ID            int64
	Username      string
	PasswordHash  string
	PasswordSetAt int64
	CreatedAt     int64
	LastLoginAt   *int64
	FailedLogins  int
	LockoutUntil  int64
	AdminLocked   bool
	Deleted       bool
	NameColor     *string
	Bio           string
	AvatarFile    string
	AvatarType    string
	AvatarVersion int64
	LiveSessions  int
}

// Session is a logged-in browser. Only the SHA-256 of its id is stored.
type Session struct {
	IDHash       []byte
	UserID       int64
	CSRFToken    string
	CreatedAt    int64
	LastActiveAt int64
	ExpiresAt    int64
}

// BotToken is a script's credential, listed without its secret.
type BotToken struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	CreatedAt  int64  `json:"created_at"`
	LastUsedAt *int64 `json:"last_used_at"`
	UserID     int64  `json:"-"`
}

// ResetToken is an admin-issued password reset, by hash.
type ResetToken struct {
	UserID    int64
	Username  string
	ExpiresAt int64
	Used      bool
}
