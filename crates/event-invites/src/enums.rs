//! Forward-compatible enums for every value a server sends from a set: a
//! value this version has never seen parses into `Unknown`, keeps its text,
//! and `as_str()` gives it back, so a vendor adding a status never breaks
//! decoding. The enums are `#[non_exhaustive]`: new variants are not a
//! breaking change.

use std::fmt;

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, as the server sent it.
            Unknown(String),
        }

        impl $name {
            /// Every value this version knows.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The value as the API writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Unknown(text) => text,
                }
            }

            /// Whether this version knows the value.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl From<&str> for $name {
            #[inline]
            fn from(text: &str) -> Self {
                match text {
                    $( $text => Self::$variant, )*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl From<String> for $name {
            #[inline]
            fn from(text: String) -> Self {
                match Self::from(text.as_str()) {
                    Self::Unknown(_) => Self::Unknown(text),
                    known => known,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "description": concat!(
                        "An open set: one of the known values, or any other string ",
                        "(a value added by the vendor later)."
                    ),
                    "anyOf": [
                        { "type": "string", "enum": [$($text),*] },
                        { "type": "string" }
                    ]
                })
            }
        }

        // A known value is read from the text as it lies in the input, with
        // no string allocated for it (a guest list has several per guest);
        // only an unknown one keeps its own copy.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Text;

                impl serde::de::Visitor<'_> for Text {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a string")
                    }

                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$name, E> {
                        Ok($name::from(text))
                    }

                    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<$name, E> {
                        Ok($name::from(text))
                    }
                }

                d.deserialize_str(Text)
            }
        }
    };
}

open_enum! {
    /// A SecureGate invite's status.
    ///
    /// Open: a value this version does not know arrives as `Unknown`, so a
    /// new status from the server is not an error.
    ///
    /// ```
    /// use event_invites::securegate::InviteStatus;
    ///
    /// assert_eq!(InviteStatus::from("accepted"), InviteStatus::Accepted);
    /// assert_eq!(InviteStatus::Accepted.as_str(), "accepted");
    /// let new = InviteStatus::from("expired");
    /// assert!(!new.is_known());
    /// assert_eq!(new.as_str(), "expired");
    /// ```
    InviteStatus {
        /// Created, not sent yet.
        Pending = "pending",
        /// Sent, no response yet.
        Sent = "sent",
        /// The invitee accepted.
        Accepted = "accepted",
        /// The invitee declined.
        Rejected = "rejected",
    }
}

open_enum! {
    /// How a SecureGate invitee authenticates at the door.
    ///
    /// Open: a value this version does not know arrives as `Unknown`, so a
    /// new status from the server is not an error.
    ///
    /// ```
    /// use event_invites::securegate::AuthenticationMethod;
    ///
    /// assert_eq!(AuthenticationMethod::from("QR Code"), AuthenticationMethod::QrCode);
    /// assert_eq!(AuthenticationMethod::QrCode.as_str(), "QR Code");
    /// let new = AuthenticationMethod::from("Retina Scan");
    /// assert!(!new.is_known());
    /// assert_eq!(new.as_str(), "Retina Scan");
    /// ```
    AuthenticationMethod {
        /// A QR code.
        QrCode = "QR Code",
        /// Biometrics.
        Biometric = "Biometric",
        /// Both.
        Both = "Both",
    }
}

open_enum! {
    /// A SecureGate invitee's country calling code.
    ///
    /// Open: a value this version does not know arrives as `Unknown`, so a
    /// new status from the server is not an error.
    ///
    /// ```
    /// use event_invites::securegate::CountryCode;
    ///
    /// assert_eq!(CountryCode::from("44"), CountryCode::UnitedKingdom);
    /// assert_eq!(CountryCode::UnitedKingdom.as_str(), "44");
    /// let new = CountryCode::from("999");
    /// assert!(!new.is_known());
    /// assert_eq!(new.as_str(), "999");
    /// ```
    CountryCode {
        /// +1 (North America).
        NorthAmerica = "1",
        /// +44 (United Kingdom).
        UnitedKingdom = "44",
        /// +61 (Australia).
        Australia = "61",
        /// +91 (India).
        India = "91",
        /// +345 (Cayman Islands).
        CaymanIslands = "345",
    }
}

open_enum! {
    /// An ARTSVP booking's status (prefixed `is_`; the docs name only
    /// `is_confirmed`).
    ///
    /// Open: a value this version does not know arrives as `Unknown`, so a
    /// new status from the server is not an error.
    ///
    /// ```
    /// use event_invites::artsvp::BookingStatus;
    ///
    /// assert_eq!(BookingStatus::from("is_confirmed"), BookingStatus::Confirmed);
    /// assert_eq!(BookingStatus::Confirmed.as_str(), "is_confirmed");
    /// let new = BookingStatus::from("is_waitlisted");
    /// assert!(!new.is_known());
    /// assert_eq!(new.as_str(), "is_waitlisted");
    /// ```
    BookingStatus {
        /// The booking is confirmed.
        Confirmed = "is_confirmed",
    }
}

open_enum! {
    /// What an ARTSVP resource is.
    ///
    /// Open: a value this version does not know arrives as `Unknown`, so a
    /// new status from the server is not an error.
    ///
    /// ```
    /// use event_invites::artsvp::ResourceKind;
    ///
    /// assert_eq!(ResourceKind::from("event"), ResourceKind::Event);
    /// assert_eq!(ResourceKind::Event.as_str(), "event");
    /// let new = ResourceKind::from("venue");
    /// assert!(!new.is_known());
    /// assert_eq!(new.as_str(), "venue");
    /// ```
    ResourceKind {
        /// An event.
        Event = "event",
        /// A collection of events.
        Collection = "collection",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_parse_and_round_trip() {
        for status in InviteStatus::KNOWN {
            assert_eq!(&InviteStatus::from(status.as_str()), status);
            assert!(status.is_known());
        }
        assert_eq!(
            AuthenticationMethod::from("QR Code"),
            AuthenticationMethod::QrCode
        );
        assert_eq!(CountryCode::from("345"), CountryCode::CaymanIslands);
    }

    #[test]
    fn unknown_values_keep_their_text() {
        let status = InviteStatus::from("expired");
        assert_eq!(status, InviteStatus::Unknown("expired".into()));
        assert_eq!(status.as_str(), "expired");
        assert!(!status.is_known());
        let json = serde_json::to_string(&BookingStatus::from("is_waitlisted")).unwrap();
        assert_eq!(json, "\"is_waitlisted\"");
        let back: BookingStatus = serde_json::from_str(&json).unwrap();
        assert_eq!(back.as_str(), "is_waitlisted");
    }

    #[test]
    fn they_decode_from_borrowed_and_owned_text_and_refuse_anything_else() {
        // Borrowed from the input (serde_json's from_str), owned (from a
        // Value, and an escaped string, which serde_json unescapes into a
        // new buffer), and not a string at all.
        let borrowed: InviteStatus = serde_json::from_str(r#""accepted""#).unwrap();
        assert_eq!(borrowed, InviteStatus::Accepted);
        let owned: InviteStatus = serde_json::from_value(serde_json::json!("sent")).unwrap();
        assert_eq!(owned, InviteStatus::Sent);
        let escaped: InviteStatus = serde_json::from_str(r#""pend\u0069ng""#).unwrap();
        assert_eq!(escaped, InviteStatus::Pending);
        let unknown: InviteStatus = serde_json::from_str(r#""on_hold""#).unwrap();
        assert_eq!(unknown, InviteStatus::Unknown("on_hold".into()));
        let err = serde_json::from_str::<InviteStatus>("5").unwrap_err();
        assert!(err.to_string().contains("expected a string"), "{err}");
    }
}
