//! Namespace routes: list, create, get, rename, delete.

use http::Method;
use serde::{Deserialize, Serialize};

use super::{JSON, MAX_SMALL_JSON_RESPONSE, Operation, json_content_type, to_json};
use crate::endpoint::Endpoint;
use crate::envelope::{decode_no_result, decode_optional, decode_result};
use crate::error::{Error, Limit};
use crate::ids::{NamespaceId, Title};

/// Response cap for [`ListNamespaces`]: 4 MiB (100 namespaces with 512-character titles, even
/// fully `\u`-escaped, stay far below it).
///
/// ```
/// use kv_proto::{ListNamespaces, Operation, limits::MAX_LIST_NAMESPACES_RESPONSE};
/// assert_eq!(ListNamespaces::new().max_response_bytes(), MAX_LIST_NAMESPACES_RESPONSE);
/// ```
pub const MAX_LIST_NAMESPACES_RESPONSE: u64 = 4 << 20;

/// A KV namespace as the API describes it.
///
/// Decoding is lenient: every field but `id` has a default, unknown fields are ignored. The
/// `id` is validated as [`NamespaceId::new`] does, so it can be passed back as it is.
///
/// ```
/// let ns: kv_proto::Namespace = serde_json::from_str(
///     r#"{"id":"0f2ac74b498b48028cb68387c421e279","title":"prod","supports_url_encoding":true,"new_field":1}"#,
/// ).unwrap();
/// assert_eq!(ns.id, "0f2ac74b498b48028cb68387c421e279");
/// assert_eq!(ns.title, "prod");
/// assert_eq!(ns.supports_url_encoding, Some(true));
/// assert_eq!(ns.jurisdiction, None);
/// // An id that is not a namespace id is a decode error.
/// assert!(serde_json::from_str::<kv_proto::Namespace>(r#"{"id":"../x","title":"t"}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawNamespace")]
pub struct Namespace {
    /// The namespace id (32 hex characters in practice).
    pub id: NamespaceId,
    /// The human-readable title.
    pub title: String,
    /// Whether the server percent-decodes keys in URL paths (true for new namespaces).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_url_encoding: Option<bool>,
    /// `eu`, `fedramp` or `us`, for namespaces created with a jurisdiction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    /// `instant` for "KV Instant" namespaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Reported by some API versions for beta namespaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<bool>,
}

/// The wire form with every field optional; `{}` decodes to all-`None` (a rename that
/// returned no namespace).
#[derive(Deserialize, Default)]
struct RawNamespace {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    supports_url_encoding: Option<bool>,
    #[serde(default)]
    jurisdiction: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    beta: Option<bool>,
}

impl RawNamespace {
    fn is_empty(&self) -> bool {
        self.id.is_none()
            && self.title.is_none()
            && self.supports_url_encoding.is_none()
            && self.jurisdiction.is_none()
            && self.mode.is_none()
            && self.beta.is_none()
    }
}

impl TryFrom<RawNamespace> for Namespace {
    type Error = String;

    fn try_from(raw: RawNamespace) -> Result<Namespace, String> {
        Ok(Namespace {
            id: raw
                .id
                .ok_or_else(|| "a namespace needs an `id`".to_owned())
                .and_then(|id| NamespaceId::new(id).map_err(|e| e.to_string()))?,
            title: raw.title.unwrap_or_default(),
            supports_url_encoding: raw.supports_url_encoding,
            jurisdiction: raw.jurisdiction,
            mode: raw.mode,
            beta: raw.beta,
        })
    }
}

/// A rename result: a namespace (2026 API), or `{}` / `null` (2024 API).
struct MaybeNamespace(Option<Namespace>);

impl<'de> Deserialize<'de> for MaybeNamespace {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawNamespace::deserialize(d)?;
        if raw.is_empty() {
            return Ok(MaybeNamespace(None));
        }
        Namespace::try_from(raw)
            .map(|n| MaybeNamespace(Some(n)))
            .map_err(serde::de::Error::custom)
    }
}

/// Sort field for [`ListNamespaces`].
///
/// ```
/// use kv_proto::{ListNamespaces, NamespaceOrder, Operation};
/// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
/// let req = ListNamespaces::new().order(NamespaceOrder::Id).request(&ep);
/// assert_eq!(req.uri().query(), Some("order=id"));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamespaceOrder {
    /// `order=id`.
    Id,
    /// `order=title`.
    Title,
}

impl NamespaceOrder {
    /// The wire value.
    ///
    /// ```
    /// use kv_proto::NamespaceOrder;
    /// assert_eq!(NamespaceOrder::Title.as_str(), "title");
    /// assert_eq!(NamespaceOrder::Id.as_str(), "id");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NamespaceOrder::Id => "id",
            NamespaceOrder::Title => "title",
        }
    }
}

/// Sort direction for [`ListNamespaces`].
///
/// ```
/// use kv_proto::{Direction, ListNamespaces, Operation};
/// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
/// let req = ListNamespaces::new().direction(Direction::Desc).request(&ep);
/// assert_eq!(req.uri().query(), Some("direction=desc"));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `direction=asc`.
    Asc,
    /// `direction=desc`.
    Desc,
}

impl Direction {
    /// The wire value.
    ///
    /// ```
    /// use kv_proto::Direction;
    /// assert_eq!(Direction::Asc.as_str(), "asc");
    /// assert_eq!(Direction::Desc.as_str(), "desc");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        }
    }
}

/// Page-style `result_info` of [`ListNamespaces`]. Every number accepts `3` or `3.0`; absent
/// fields are 0.
///
/// ```
/// let info: kv_proto::PageInfo = serde_json::from_str(r#"{"count":2,"page":1.0,"total_count":12}"#).unwrap();
/// assert_eq!((info.count, info.page, info.per_page, info.total_count), (2, 1, 0, 12));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    /// Items on this page.
    #[serde(default, deserialize_with = "crate::de::u64_lenient")]
    pub count: u64,
    /// This page's number (from 1).
    #[serde(default, deserialize_with = "crate::de::u64_lenient")]
    pub page: u64,
    /// The page size the server used.
    #[serde(default, deserialize_with = "crate::de::u64_lenient")]
    pub per_page: u64,
    /// Items across all pages.
    #[serde(default, deserialize_with = "crate::de::u64_lenient")]
    pub total_count: u64,
}

/// One page of [`ListNamespaces`].
///
/// ```
/// use kv_proto::{ListNamespaces, Operation};
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":[{"id":"ns1","title":"prod"}],"result_info":{"page":1,"per_page":20,"count":1,"total_count":1}}"#;
/// let page = ListNamespaces::new().parse(http::Response::new(&body[..]))?;
/// assert_eq!(page.namespaces[0].title, "prod");
/// assert_eq!(page.info.map(|i| i.total_count), Some(1));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespacePage {
    /// The namespaces on this page (possibly none).
    pub namespaces: Vec<Namespace>,
    /// The page info, if the server sent `result_info`.
    pub info: Option<PageInfo>,
}

/// `GET /accounts/{account}/storage/kv/namespaces`: one page of namespaces.
///
/// Query parameters are sent only when set. Response cap: [`MAX_LIST_NAMESPACES_RESPONSE`].
///
/// ```
/// use kv_proto::{Direction, ListNamespaces, NamespaceOrder};
///
/// let op = ListNamespaces::new()
///     .page(2)?
///     .per_page(100)?
///     .order(NamespaceOrder::Title)
///     .direction(Direction::Asc);
/// assert_eq!((op.get_page(), op.get_per_page()), (Some(2), Some(100)));
/// assert!(ListNamespaces::new().per_page(4).is_err());
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListNamespaces {
    page: Option<u32>,
    per_page: Option<u32>,
    order: Option<NamespaceOrder>,
    direction: Option<Direction>,
}

/// Smallest `per_page` accepted (2024 spec).
///
/// ```
/// use kv_proto::{ListNamespaces, limits::MIN_PER_PAGE};
/// assert!(ListNamespaces::new().per_page(MIN_PER_PAGE).is_ok());
/// assert!(ListNamespaces::new().per_page(MIN_PER_PAGE - 1).is_err());
/// ```
pub const MIN_PER_PAGE: u32 = 5;
/// Largest `per_page` accepted (2024 spec; the 2026 API allows more, 100 is safe for both).
///
/// ```
/// use kv_proto::{ListNamespaces, limits::MAX_PER_PAGE};
/// assert!(ListNamespaces::new().per_page(MAX_PER_PAGE).is_ok());
/// assert!(ListNamespaces::new().per_page(MAX_PER_PAGE + 1).is_err());
/// ```
pub const MAX_PER_PAGE: u32 = 100;

impl ListNamespaces {
    /// The first page with the server's defaults.
    ///
    /// ```
    /// use kv_proto::{ListNamespaces, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let req = ListNamespaces::new().request(&ep);
    /// assert!(req.uri().path().ends_with("/accounts/acc/storage/kv/namespaces"));
    /// assert_eq!(req.uri().query(), None);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new() -> ListNamespaces {
        ListNamespaces::default()
    }

    /// Asks for page `page` (from 1).
    ///
    /// ```
    /// use kv_proto::{Limit, ListNamespaces};
    /// assert_eq!(ListNamespaces::new().page(3)?.get_page(), Some(3));
    /// assert_eq!(ListNamespaces::new().page(0).unwrap_err().limit(), Some(Limit::Paging));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::Paging`] if `page` is 0.
    pub fn page(mut self, page: u32) -> Result<ListNamespaces, Error> {
        if page == 0 {
            return Err(Error::invalid_input(
                Limit::Paging,
                "page numbers start at 1",
            ));
        }
        self.page = Some(page);
        Ok(self)
    }

    /// Sets the page size.
    ///
    /// ```
    /// use kv_proto::{ListNamespaces, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = ListNamespaces::new().per_page(50)?;
    /// assert_eq!(op.request(&ep).uri().query(), Some("per_page=50"));
    /// assert!(ListNamespaces::new().per_page(101).is_err());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::Paging`] unless `MIN_PER_PAGE <= per_page <= MAX_PER_PAGE` (5..=100).
    pub fn per_page(mut self, per_page: u32) -> Result<ListNamespaces, Error> {
        if !(MIN_PER_PAGE..=MAX_PER_PAGE).contains(&per_page) {
            return Err(Error::invalid_input(
                Limit::Paging,
                format!("per_page is {per_page}; it must be {MIN_PER_PAGE}..={MAX_PER_PAGE}"),
            ));
        }
        self.per_page = Some(per_page);
        Ok(self)
    }

    /// Sorts by id or title.
    ///
    /// ```
    /// use kv_proto::{ListNamespaces, NamespaceOrder};
    /// let op = ListNamespaces::new().order(NamespaceOrder::Title);
    /// assert_eq!(op.get_order(), Some(NamespaceOrder::Title));
    /// ```
    pub fn order(mut self, order: NamespaceOrder) -> ListNamespaces {
        self.order = Some(order);
        self
    }

    /// Sort direction.
    ///
    /// ```
    /// use kv_proto::{Direction, ListNamespaces};
    /// let op = ListNamespaces::new().direction(Direction::Desc);
    /// assert_eq!(op.get_direction(), Some(Direction::Desc));
    /// ```
    pub fn direction(mut self, direction: Direction) -> ListNamespaces {
        self.direction = Some(direction);
        self
    }

    /// The requested page, if set.
    ///
    /// ```
    /// use kv_proto::ListNamespaces;
    /// assert_eq!(ListNamespaces::new().get_page(), None);
    /// assert_eq!(ListNamespaces::new().page(2)?.get_page(), Some(2));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn get_page(&self) -> Option<u32> {
        self.page
    }

    /// The requested page size, if set.
    ///
    /// ```
    /// use kv_proto::ListNamespaces;
    /// assert_eq!(ListNamespaces::new().get_per_page(), None);
    /// assert_eq!(ListNamespaces::new().per_page(20)?.get_per_page(), Some(20));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn get_per_page(&self) -> Option<u32> {
        self.per_page
    }

    /// The sort field, if set.
    ///
    /// ```
    /// use kv_proto::{ListNamespaces, NamespaceOrder};
    /// assert_eq!(ListNamespaces::new().get_order(), None);
    /// assert_eq!(ListNamespaces::new().order(NamespaceOrder::Id).get_order(), Some(NamespaceOrder::Id));
    /// ```
    pub fn get_order(&self) -> Option<NamespaceOrder> {
        self.order
    }

    /// The sort direction, if set.
    ///
    /// ```
    /// use kv_proto::{Direction, ListNamespaces};
    /// assert_eq!(ListNamespaces::new().get_direction(), None);
    /// assert_eq!(ListNamespaces::new().direction(Direction::Asc).get_direction(), Some(Direction::Asc));
    /// ```
    pub fn get_direction(&self) -> Option<Direction> {
        self.direction
    }
}

impl Operation for ListNamespaces {
    type Output = NamespacePage;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        let mut query = Vec::new();
        if let Some(p) = self.page {
            query.push(("page", p.to_string()));
        }
        if let Some(p) = self.per_page {
            query.push(("per_page", p.to_string()));
        }
        if let Some(o) = self.order {
            query.push(("order", o.as_str().to_owned()));
        }
        if let Some(d) = self.direction {
            query.push(("direction", d.as_str().to_owned()));
        }
        endpoint.build_request(
            Method::GET,
            endpoint.namespaces_url(),
            &query,
            JSON,
            None,
            Vec::new(),
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_LIST_NAMESPACES_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("GET", "")
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<NamespacePage, Error> {
        let (namespaces, info) = decode_result::<Vec<Namespace>>(&response)?;
        Ok(NamespacePage {
            namespaces,
            info: info.map(|i| PageInfo {
                count: i.count.unwrap_or(0),
                page: i.page.unwrap_or(0),
                per_page: i.per_page.unwrap_or(0),
                total_count: i.total_count.unwrap_or(0),
            }),
        })
    }
}

/// Where a namespace's data lives (create-time only; private beta at the time of writing).
///
/// ```
/// use kv_proto::{CreateNamespace, Jurisdiction, Operation, Title};
/// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
/// let req = CreateNamespace::new(Title::new("prod")?).jurisdiction(Jurisdiction::Eu).request(&ep);
/// assert_eq!(req.body(), br#"{"title":"prod","jurisdiction":"eu"}"#);
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Jurisdiction {
    /// `eu`.
    Eu,
    /// `fedramp`.
    Fedramp,
    /// `us`.
    Us,
}

impl Jurisdiction {
    /// The wire value.
    ///
    /// ```
    /// use kv_proto::Jurisdiction;
    /// assert_eq!(Jurisdiction::Fedramp.as_str(), "fedramp");
    /// assert_eq!(Jurisdiction::Us.as_str(), "us");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Jurisdiction::Eu => "eu",
            Jurisdiction::Fedramp => "fedramp",
            Jurisdiction::Us => "us",
        }
    }
}

/// The kind of namespace to create.
///
/// ```
/// use kv_proto::{CreateNamespace, NamespaceMode, Operation, Title};
/// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
/// let req = CreateNamespace::new(Title::new("fast")?).mode(NamespaceMode::Instant).request(&ep);
/// assert_eq!(req.body(), br#"{"title":"fast","mode":"instant"}"#);
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamespaceMode {
    /// `instant`: a "KV Instant" namespace.
    Instant,
}

impl NamespaceMode {
    /// The wire value.
    ///
    /// ```
    /// use kv_proto::NamespaceMode;
    /// assert_eq!(NamespaceMode::Instant.as_str(), "instant");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NamespaceMode::Instant => "instant",
        }
    }
}

/// `POST /accounts/{account}/storage/kv/namespaces` with `{"title", "jurisdiction"?, "mode"?}`.
///
/// Output: the new [`Namespace`]. A duplicate title fails with code 10014
/// (`codes::TITLE_EXISTS`). Response cap: [`MAX_SMALL_JSON_RESPONSE`].
///
/// ```
/// use kv_proto::{CreateNamespace, Jurisdiction, Title};
/// let op = CreateNamespace::new(Title::new("prod")?).jurisdiction(Jurisdiction::Eu);
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateNamespace {
    title: Title,
    jurisdiction: Option<Jurisdiction>,
    mode: Option<NamespaceMode>,
}

#[derive(Serialize)]
struct CreateBody<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    jurisdiction: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<&'static str>,
}

impl CreateNamespace {
    /// A classic namespace with this title.
    ///
    /// ```
    /// use kv_proto::{CreateNamespace, Operation, Title};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = CreateNamespace::new(Title::new("prod")?);
    /// let req = op.request(&ep);
    /// assert_eq!(req.method(), http::Method::POST);
    /// assert_eq!(req.body(), br#"{"title":"prod"}"#);
    /// assert!(!op.is_idempotent());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new(title: Title) -> CreateNamespace {
        CreateNamespace {
            title,
            jurisdiction: None,
            mode: None,
        }
    }

    /// Sends `jurisdiction`.
    ///
    /// ```
    /// use kv_proto::{CreateNamespace, Jurisdiction, Operation, Title};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = CreateNamespace::new(Title::new("prod")?).jurisdiction(Jurisdiction::Us);
    /// assert_eq!(op.request(&ep).body(), br#"{"title":"prod","jurisdiction":"us"}"#);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn jurisdiction(mut self, jurisdiction: Jurisdiction) -> CreateNamespace {
        self.jurisdiction = Some(jurisdiction);
        self
    }

    /// Sends `mode`.
    ///
    /// ```
    /// use kv_proto::{CreateNamespace, NamespaceMode, Operation, Title};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = CreateNamespace::new(Title::new("prod")?).mode(NamespaceMode::Instant);
    /// assert_eq!(op.request(&ep).body(), br#"{"title":"prod","mode":"instant"}"#);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn mode(mut self, mode: NamespaceMode) -> CreateNamespace {
        self.mode = Some(mode);
        self
    }

    /// The title.
    ///
    /// ```
    /// use kv_proto::{CreateNamespace, Title};
    /// assert_eq!(CreateNamespace::new(Title::new("prod")?).title().as_str(), "prod");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn title(&self) -> &Title {
        &self.title
    }
}

impl Operation for CreateNamespace {
    type Output = Namespace;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        let body = to_json(&CreateBody {
            title: self.title.as_str(),
            jurisdiction: self.jurisdiction.map(Jurisdiction::as_str),
            mode: self.mode.map(NamespaceMode::as_str),
        });
        endpoint.build_request(
            Method::POST,
            endpoint.namespaces_url(),
            &[],
            JSON,
            json_content_type(),
            body,
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_SMALL_JSON_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("POST", "")
    }

    fn is_idempotent(&self) -> bool {
        // A lost response to a processed create makes the resend fail with 10014.
        false
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Namespace, Error> {
        decode_result(&response).map(|(ns, _)| ns)
    }
}

/// `GET /accounts/{account}/storage/kv/namespaces/{namespace}`.
///
/// Output: the [`Namespace`]; an unknown id fails with 404 / 10013
/// ([`Error::is_namespace_not_found`]). Response cap: [`MAX_SMALL_JSON_RESPONSE`].
///
/// ```
/// use kv_proto::{GetNamespace, NamespaceId, Operation};
/// let op = GetNamespace::new(NamespaceId::new("ns1")?);
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"id":"ns1","title":"prod"}}"#;
/// assert_eq!(op.parse(http::Response::new(&body[..]))?.title, "prod");
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetNamespace {
    namespace: NamespaceId,
}

impl GetNamespace {
    /// Reads this namespace.
    ///
    /// ```
    /// use kv_proto::{GetNamespace, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let req = GetNamespace::new(NamespaceId::new("ns1")?).request(&ep);
    /// assert!(req.uri().path().ends_with("/storage/kv/namespaces/ns1"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new(namespace: NamespaceId) -> GetNamespace {
        GetNamespace { namespace }
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{GetNamespace, NamespaceId};
    /// assert_eq!(GetNamespace::new(NamespaceId::new("ns1")?).namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }
}

impl Operation for GetNamespace {
    type Output = Namespace;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        endpoint.build_request(
            Method::GET,
            endpoint.namespace_url(&self.namespace, ""),
            &[],
            JSON,
            None,
            Vec::new(),
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_SMALL_JSON_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("GET", "/{namespace_id}")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Namespace, Error> {
        decode_result(&response).map(|(ns, _)| ns)
    }
}

/// `PUT /accounts/{account}/storage/kv/namespaces/{namespace}` with `{"title"}`.
///
/// Output: `Some(namespace)` when the server returns it (2026 API), `None` when it returns
/// `null` or `{}` (2024 API). Response cap: [`MAX_SMALL_JSON_RESPONSE`].
///
/// ```
/// use kv_proto::{NamespaceId, Operation, RenameNamespace, Title};
/// let op = RenameNamespace::new(NamespaceId::new("ns1")?, Title::new("new")?);
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":{}}"#;
/// assert_eq!(op.parse(http::Response::new(&body[..]))?, None);
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameNamespace {
    namespace: NamespaceId,
    title: Title,
}

impl RenameNamespace {
    /// Renames `namespace` to `title`.
    ///
    /// ```
    /// use kv_proto::{NamespaceId, Operation, RenameNamespace, Title};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let req = RenameNamespace::new(NamespaceId::new("ns1")?, Title::new("new")?).request(&ep);
    /// assert_eq!(req.method(), http::Method::PUT);
    /// assert_eq!(req.body(), br#"{"title":"new"}"#);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new(namespace: NamespaceId, title: Title) -> RenameNamespace {
        RenameNamespace { namespace, title }
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{NamespaceId, RenameNamespace, Title};
    /// let op = RenameNamespace::new(NamespaceId::new("ns1")?, Title::new("new")?);
    /// assert_eq!(op.namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }

    /// The new title.
    ///
    /// ```
    /// use kv_proto::{NamespaceId, RenameNamespace, Title};
    /// let op = RenameNamespace::new(NamespaceId::new("ns1")?, Title::new("new")?);
    /// assert_eq!(op.title().as_str(), "new");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn title(&self) -> &Title {
        &self.title
    }
}

impl Operation for RenameNamespace {
    type Output = Option<Namespace>;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        let body = to_json(&CreateBody {
            title: self.title.as_str(),
            jurisdiction: None,
            mode: None,
        });
        endpoint.build_request(
            Method::PUT,
            endpoint.namespace_url(&self.namespace, ""),
            &[],
            JSON,
            json_content_type(),
            body,
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_SMALL_JSON_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("PUT", "/{namespace_id}")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<Namespace>, Error> {
        Ok(decode_optional::<MaybeNamespace>(&response)?.and_then(|m| m.0))
    }
}

/// `DELETE /accounts/{account}/storage/kv/namespaces/{namespace}` (no body).
///
/// Output: `()`; the result may be `null`, `{}` or absent. Response cap:
/// [`MAX_SMALL_JSON_RESPONSE`].
///
/// ```
/// use kv_proto::{DeleteNamespace, NamespaceId, Operation};
/// let op = DeleteNamespace::new(NamespaceId::new("ns1")?);
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":null}"#;
/// op.parse(http::Response::new(&body[..]))?;
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteNamespace {
    namespace: NamespaceId,
}

impl DeleteNamespace {
    /// Deletes this namespace and every key in it.
    ///
    /// ```
    /// use kv_proto::{DeleteNamespace, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let req = DeleteNamespace::new(NamespaceId::new("ns1")?).request(&ep);
    /// assert_eq!(req.method(), http::Method::DELETE);
    /// assert!(req.body().is_empty());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new(namespace: NamespaceId) -> DeleteNamespace {
        DeleteNamespace { namespace }
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{DeleteNamespace, NamespaceId};
    /// assert_eq!(DeleteNamespace::new(NamespaceId::new("ns1")?).namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }
}

impl Operation for DeleteNamespace {
    type Output = ();

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        endpoint.build_request(
            Method::DELETE,
            endpoint.namespace_url(&self.namespace, ""),
            &[],
            JSON,
            None,
            Vec::new(),
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_SMALL_JSON_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("DELETE", "/{namespace_id}")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<(), Error> {
        decode_no_result(&response)
    }
}
