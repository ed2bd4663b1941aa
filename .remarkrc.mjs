// `npm run check:docs`: every link from the README and docs/ to a file or heading of this
// repository must resolve (remark-validate-links works offline: it checks local targets only).
import remarkValidateLinks from "remark-validate-links";

export default {
  plugins: [[remarkValidateLinks, { repository: false }]],
};
