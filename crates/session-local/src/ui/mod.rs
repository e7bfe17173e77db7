//! The pages session-local serves beside the API: `/ui/devices` (the `<session-devices>`
//! component on a host page with a development sign-in) and `/ui/console` (the support console
//! over the admin routes). They exist only here: the Lambda functions serve the API alone, and
//! the OpenAPI document knows nothing of `/ui/`.

mod assets;
mod dev_sign_in;

use axum::Router;
use axum::routing::{get, post};

pub(crate) use dev_sign_in::DevSignIn;

/// Routes of the pages, their files, and (when given) the development sign-in.
pub(crate) fn router<T>(dev_sign_in: Option<DevSignIn>) -> Router<T>
where
    T: Clone + Send + Sync + 'static,
{
    let mut router = Router::new();
    for asset in assets::ASSETS {
        router = router.route(
            asset.path,
            get(move || async move { asset.response() }).fallback(assets::only_get),
        );
    }
    if let Some(dev_sign_in) = dev_sign_in {
        router = router.route(
            dev_sign_in::PATH,
            post(dev_sign_in::mint_token)
                .fallback(dev_sign_in::only_post)
                .with_state(dev_sign_in),
        );
    }
    router
}
