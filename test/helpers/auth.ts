/**
 * The API key the test suite calls the service with. The platform work (issue 5) makes the test
 * environment accept it; until then the routes ignore the header.
 */
export const TEST_API_KEY = "sk_test_0123456789abcdef0123456789abcdef";

export function authHeaders(key: string = TEST_API_KEY): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
